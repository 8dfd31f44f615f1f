"""Every webhook's signing secret kept in plain text until now sealed (`core.sealed`; back:
opened)."""

from django.db import migrations

from durvis.core.sealed import seal_rows_operation


class Migration(migrations.Migration):
    dependencies = [("integrations", "0010_sealed_secrets")]

    operations = [seal_rows_operation("integrations", "WebhookEndpoint",
                                      ["secret", "previous_secret"])]
