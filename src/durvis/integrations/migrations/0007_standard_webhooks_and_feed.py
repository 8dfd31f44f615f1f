"""Standard Webhooks signatures (issue 20): a rotation's previous secret and its end, and the
deprecated `Durvis-Signature` header kept on for the endpoints registered before (their receivers
check it); the pull feed's events."""

import django.db.models.deletion
from django.db import migrations, models


def keep_the_old_header(apps, schema_editor):
    apps.get_model("integrations", "WebhookEndpoint").objects.update(legacy_signature=True)


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0008_person_folded_names'),
        ('integrations', '0006_outbox_sms_segments'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookendpoint',
            name='legacy_signature',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='webhookendpoint',
            name='previous_secret',
            field=models.CharField(blank=True, db_default='', default='', max_length=100),
        ),
        migrations.AddField(
            model_name='webhookendpoint',
            name='previous_secret_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='FeedEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.BigIntegerField()),
                ('type', models.CharField(max_length=60)),
                ('subject', models.CharField(blank=True, max_length=40)),
                ('service_code', models.PositiveIntegerField(blank=True, null=True)),
                ('time', models.DateTimeField()),
                ('data', models.JSONField()),
                ('change_xid', models.BigIntegerField(default=0)),
                ('institution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identity.institution')),
            ],
            options={
                'indexes': [models.Index(fields=['institution', 'change_xid', 'id'], name='feed_position')],
                'constraints': [models.UniqueConstraint(fields=('institution', 'event_id'), name='feed_event_once')],
            },
        ),
        migrations.RunPython(keep_the_old_header, migrations.RunPython.noop),
    ]
