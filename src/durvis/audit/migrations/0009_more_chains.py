"""Sixty-four chains instead of sixteen (issue 21): each actor appends to a free one of its eight
(`services.chains_of`), so the new chains get their head rows now, as 0002 gave the first ones.
Going back leaves them: a chain with rows must keep its head."""

from django.db import migrations

AUDIT_CHAINS = 64


def create_heads(apps, schema_editor):
    head = apps.get_model("audit", "AuditChainHead")
    head.objects.bulk_create([head(chain=n) for n in range(AUDIT_CHAINS)], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_company_subject_service_point")]
    operations = [migrations.RunPython(create_heads, migrations.RunPython.noop)]
