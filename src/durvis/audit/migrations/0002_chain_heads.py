"""Every chain starts with its head row, so appending never has to create one first."""

from django.db import migrations

AUDIT_CHAINS = 16


def create_heads(apps, schema_editor):
    head = apps.get_model("audit", "AuditChainHead")
    head.objects.bulk_create([head(chain=n) for n in range(AUDIT_CHAINS)], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_heads, migrations.RunPython.noop)]
