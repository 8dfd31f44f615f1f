"""Every merchant's secret kept in plain text until now sealed (`core.sealed`; back: opened).
A migration of its own, apart from 0006's schema change, so that PostgreSQL never alters a
table with these rows' updates pending in the same transaction."""

from django.db import migrations

APP = "payments"

def _seal(model_name, fields):
    """Every value still kept in plain text sealed (`core.sealed`): the field seals on write,
    so each row's value is written back as read (plain, or opened)."""
    def run(apps, schema_editor):
        model = apps.get_model(APP, model_name)
        for row in model.objects.only("pk", *fields):
            model.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})
    return run


def _open(model_name, fields):
    """Back: every value written in plain text again (read opened, written as raw SQL)."""
    def run(apps, schema_editor):
        model = apps.get_model(APP, model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        with schema_editor.connection.cursor() as cursor:
            for row in model.objects.only("pk", *fields):
                for field in fields:
                    cursor.execute(
                        f"UPDATE {table} SET {schema_editor.quote_name(field)} = %s "  # noqa: S608 - fixed names
                        "WHERE id = %s", [getattr(row, field), row.pk])
    return run



class Migration(migrations.Migration):
    dependencies = [("payments", "0006_sealed_secrets")]

    operations = [
        migrations.RunPython(_seal("MerchantAccount", ['secret']), _open("MerchantAccount", ['secret'])),
    ]
