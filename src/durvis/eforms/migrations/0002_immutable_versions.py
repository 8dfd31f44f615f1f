"""Published and retired form versions never change, also below the ORM (A10): triggers refuse
an UPDATE of such a row's definition or checksum, a way back to draft or from retired to
published, and (PostgreSQL) a DELETE of it. `FormVersion.save`/`delete` say the same in Python;
these catch a bulk `update()`, a raw query or a console. Both raise an integrity error
(`IntegrityError` in Django; SQLSTATE 23000 on PostgreSQL).

SQLite has no DELETE trigger: Django empties an SQLite database with DELETE (a test's flush),
where PostgreSQL uses TRUNCATE, which row triggers do not see. There the model's `delete` and
the applications' protecting foreign keys keep a version that is in use."""

from django.db import migrations

MESSAGE = "published form versions are immutable"

SQLITE = [
    f"""CREATE TRIGGER eforms_version_immutable BEFORE UPDATE ON eforms_formversion
    FOR EACH ROW WHEN OLD.status <> 'draft' AND (
        NEW.definition IS NOT OLD.definition OR NEW.checksum IS NOT OLD.checksum
        OR NEW.status = 'draft' OR (OLD.status = 'retired' AND NEW.status <> 'retired'))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS eforms_version_immutable"]

POSTGRESQL = [
    f"""CREATE FUNCTION eforms_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF;
            RETURN OLD;
        END IF;
        IF OLD.status <> 'draft' AND (
            NEW.definition::text IS DISTINCT FROM OLD.definition::text
            OR NEW.checksum IS DISTINCT FROM OLD.checksum OR NEW.status = 'draft'
            OR (OLD.status = 'retired' AND NEW.status <> 'retired')) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER eforms_version_immutable BEFORE UPDATE OR DELETE ON eforms_formversion
    FOR EACH ROW EXECUTE FUNCTION eforms_version_immutable()""",
]
POSTGRESQL_REVERSE = ["DROP TRIGGER IF EXISTS eforms_version_immutable ON eforms_formversion",
                      "DROP FUNCTION IF EXISTS eforms_version_immutable()"]


def forwards(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL_REVERSE if vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("eforms", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
