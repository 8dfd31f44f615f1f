"""PostgreSQL matches query words against the address dictionary with a pg_trgm GIN index, as
the search app does for its own. (SQLite uses the similarity function registered from Python.)"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX addresses_word_trgm ON addresses_addressword "
                              "USING gin (word gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS addresses_word_trgm")


class Migration(migrations.Migration):
    dependencies = [("addresses", "0001_initial"), ("search", "0002_word_trigram_index")]
    operations = [migrations.RunPython(create, drop)]
