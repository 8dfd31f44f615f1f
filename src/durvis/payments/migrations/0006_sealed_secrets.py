"""Merchants' secrets sealed at rest (`core.sealed.SealedCharField`, DURVIS_SECRET_KEYS): the
column grows for the JWE; 0007 seals the secrets kept in plain text until now."""

from django.db import migrations

import durvis.core.sealed


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0005_payment_mandate'),
    ]

    operations = [
        migrations.AlterField(
            model_name='merchantaccount',
            name='secret',
            field=durvis.core.sealed.SealedCharField(max_length=1000),
        ),
    ]
