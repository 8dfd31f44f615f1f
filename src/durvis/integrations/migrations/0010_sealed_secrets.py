"""Webhooks' signing secrets sealed at rest (`core.sealed.SealedCharField`, DURVIS_SECRET_KEYS):
the columns grow for the JWE; 0010 seals the secrets kept in plain text until now."""

from django.db import migrations

import durvis.core.sealed


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0009_credential_generation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookendpoint',
            name='previous_secret',
            field=durvis.core.sealed.SealedCharField(blank=True, db_default='', default='', max_length=1000),
        ),
        migrations.AlterField(
            model_name='webhookendpoint',
            name='secret',
            field=durvis.core.sealed.SealedCharField(max_length=1000),
        ),
    ]
