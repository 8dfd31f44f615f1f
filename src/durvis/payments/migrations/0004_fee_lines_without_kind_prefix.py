"""The platform's prepayment lines issued before 2026-12 stored their description as the
translated "Fee: %(service)s" in the invoice's language ("Fee: …" in English, "Maksa: …" in
Latvian); since then the description is the service's name alone, its kind ("Service fee") being
shown beside it (`InvoiceLine.label`). The API returns the description as stored, so the old
lines said the kind twice there. This strips the prefix where it matches the old pattern
exactly: a fee line (`kind` fee) of an invoice the platform issued (`origin` platform: the
prepayment invoice and its credit note's copy), starting with the prefix of the invoice's own
language, followed by a name. A holder's own lines are never touched, whatever they say.
Going back is a no-op (the prefix is not written again: pages never needed it)."""

from django.db import migrations

# The old `gettext("Fee: %(service)s")` in each language the platform issues invoices in.
OLD_PREFIXES = {"en": "Fee: ", "lv": "Maksa: "}


def strip_kind_prefix(apps, schema_editor):
    InvoiceLine = apps.get_model("payments", "InvoiceLine")
    changed = []
    for language, prefix in OLD_PREFIXES.items():
        lines = InvoiceLine.objects.filter(kind="fee", invoice__origin="platform",
                                           invoice__language=language,
                                           description__startswith=prefix)
        for line in lines.only("pk", "description").iterator(chunk_size=2000):
            name = line.description[len(prefix):].strip()
            if name:
                line.description = name
                changed.append(line)
    InvoiceLine.objects.bulk_update(changed, ["description"], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0003_statement_entry_unchecked_statement"),
    ]

    operations = [
        migrations.RunPython(strip_kind_prefix, migrations.RunPython.noop, elidable=True),
    ]
