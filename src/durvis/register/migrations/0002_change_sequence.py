"""The register's change counter: a PostgreSQL sequence, or one counter row on SQLite."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS register_change_seq")
    else:
        apps.get_model("register", "ChangeCounter").objects.get_or_create(pk=1)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS register_change_seq")


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
