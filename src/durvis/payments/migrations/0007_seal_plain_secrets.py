"""Every merchant's secret kept in plain text until now sealed (`core.sealed`; back: opened)."""

from django.db import migrations

from durvis.core.sealed import seal_rows_operation


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_sealed_secrets")]

    operations = [seal_rows_operation("payments", "MerchantAccount", ["secret"])]
