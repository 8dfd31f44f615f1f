"""Providers per stage (A1, B3, issue 16): `Service.providers` (a plain many-to-many, no stage,
no period) becomes `Delegation` rows, one per stage, in force from the day the service was
created (local date) with no end; a holder listed among its own providers needs none (the holder
serves every stage). Backwards, every provider with any delegation goes back to the list."""

import datetime

import django.db.models.deletion
from django.db import migrations, models

STAGES = ("information", "application", "execution", "result_delivery")


def providers_to_delegations(apps, schema_editor):
    from django.utils import timezone

    Service = apps.get_model("catalog", "Service")
    Delegation = apps.get_model("catalog", "Delegation")
    rows = []
    for service in Service.objects.prefetch_related("providers").order_by("pk"):
        since = timezone.localtime(service.created_at).date() if service.created_at else (
            datetime.date(2000, 1, 1))
        rows.extend(Delegation(service_id=service.pk, provider_id=provider.pk, stage=stage,
                               valid_from=since)
                    for provider in service.providers.all() if provider.pk != service.holder_id
                    for stage in STAGES)
    Delegation.objects.bulk_create(rows, batch_size=1000)


def delegations_to_providers(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    Delegation = apps.get_model("catalog", "Delegation")
    for service in Service.objects.order_by("pk"):
        service.providers.set(sorted(set(Delegation.objects.filter(service_id=service.pk)
                                         .values_list("provider_id", flat=True))))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0006_service_assistant_allowed'),
        ('identity', '0005_person_phone_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='Delegation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(choices=[('information', 'Information'), ('application', 'Application'), ('execution', 'Execution'), ('result_delivery', 'Result delivery')], max_length=20, verbose_name='stage')),
                ('valid_from', models.DateField(verbose_name='valid from')),
                ('valid_until', models.DateField(blank=True, null=True, verbose_name='valid until')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='identity.staffmember')),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='identity.staffmember')),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='delegations', to='identity.institution', verbose_name='provider')),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='delegations', to='catalog.service', verbose_name='service')),
            ],
            options={
                'verbose_name': 'delegation',
                'verbose_name_plural': 'delegations',
                'ordering': ['service__code', 'stage', 'valid_from', 'pk'],
                'indexes': [models.Index(fields=['provider', 'stage', 'service'], name='delegation_provider_stage')],
                'constraints': [models.CheckConstraint(condition=models.Q(('valid_until__isnull', True), ('valid_until__gte', models.F('valid_from')), ('ended_at__isnull', False), _connector='OR'), name='delegation_period_ordered')],
            },
        ),
        migrations.RunPython(providers_to_delegations, delegations_to_providers),
        migrations.RemoveField(
            model_name='service',
            name='providers',
        ),
    ]
