"""An SMS in the outbox records how many segments it takes (issue 12: its cost is visible)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0005_webhook_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='segments',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
    ]
