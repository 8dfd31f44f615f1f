"""Webhooks' signing secrets sealed at rest (`core.sealed.SealedCharField`, DURVIS_SECRET_KEYS):
the columns grow for the JWE and every secret kept in plain text until now is sealed (back:
opened)."""

from django.db import migrations

import durvis.core.sealed

APP = "integrations"

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

    dependencies = [
        ('integrations', '0008_alter_outboxmessage_channel'),
    ]

    operations = [
        migrations.AlterField(
            model_name='webhookendpoint',
            name='previous_secret',
            field=durvis.core.sealed.SealedCharField(blank=True, db_default='', default='', max_length=1000),
        ),
        migrations.AlterField(
            model_name='webhookendpoint',
            name='secret',
            field=durvis.core.sealed.SealedCharField(max_length=1000),
        ),
        migrations.RunPython(_seal("WebhookEndpoint", ['secret', 'previous_secret']), _open("WebhookEndpoint", ['secret', 'previous_secret'])),
    ]
