"""The credential generation (B9, issue 21): one row whose value database triggers move on with
every change to what a token allows (`models.CredentialGeneration`), so that every web process's
cache of token checks sees a revocation or a change of scopes on its next request.

The triggers fire on an API client's update or delete, any change of its services, and a change
of an institution's code. Each puts the row back (with a random value, never one seen before) if
it is missing, then adds one."""

from django.db import migrations, models

GENERATION = "integrations_credentialgeneration"
# (table, events): what a token check reads.
WATCHED = (
    ("integrations_apiclient", ("UPDATE", "DELETE")),
    ("integrations_apiclient_services", ("INSERT", "UPDATE", "DELETE")),
    ("identity_institution", ("UPDATE OF code", "DELETE")),
)


def _postgresql() -> tuple[list[str], list[str]]:
    create = [f"""
        CREATE FUNCTION durvis_bump_credential_generation() RETURNS trigger AS $$
        BEGIN
            INSERT INTO {GENERATION} (id, value) VALUES (1, (random() * 1e15)::bigint)
                ON CONFLICT (id) DO NOTHING;
            UPDATE {GENERATION} SET value = value + 1 WHERE id = 1;
            RETURN NULL;
        END $$ LANGUAGE plpgsql"""]  # noqa: S608 - constants of this migration
    drop = []
    for table, events in WATCHED:
        name = f"{table}_credentials"
        create.append(f"CREATE TRIGGER {name} AFTER {' OR '.join(events)} OR TRUNCATE "
                      f"ON {table} FOR EACH STATEMENT "
                      "EXECUTE FUNCTION durvis_bump_credential_generation()")
        drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    drop.append("DROP FUNCTION IF EXISTS durvis_bump_credential_generation()")
    return create, drop


def _sqlite() -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table, events in WATCHED:
        for event in events:
            name = f"{table}_credentials_{event.split()[0].lower()}"
            create.append(f"""
                CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN
                    INSERT OR IGNORE INTO {GENERATION} (id, value) VALUES (1, abs(random() / 8));
                    UPDATE {GENERATION} SET value = value + 1 WHERE id = 1;
                END""")  # noqa: S608 - constants of this migration
            drop.append(f"DROP TRIGGER IF EXISTS {name}")
    return create, drop


def _statements(schema_editor, which: int) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return _postgresql()[which]
    if vendor == "sqlite":
        return _sqlite()[which]
    raise NotImplementedError(f"no credential triggers for {vendor}")


def create_triggers(apps, schema_editor):
    apps.get_model("integrations", "CredentialGeneration").objects.create(id=1, value=1)
    for statement in _statements(schema_editor, 0):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    for statement in _statements(schema_editor, 1):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0009_person_declared_address"),
        ("integrations", "0008_alter_outboxmessage_channel"),
    ]

    operations = [
        migrations.CreateModel(
            name="CredentialGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
