"""Clients' replies in commit order (`durvis.core.changes`): every message gets a change position
(the writing transaction's id and a number from the register's counter, the one counter of every
feed), and the institution's feed of replies is indexed by it instead of by id.

Existing messages get transaction id 0 and their own id as the number, so a reader's old cursor
(the last message id it had) still means where it meant; the register's counter is moved past
the highest id, so every later message sorts after every earlier one on SQLite too (on
PostgreSQL later ones have a transaction id above 0 anyway). The new index is built before the
old one goes."""

from django.db import migrations, models


def stamp_existing(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("UPDATE messaging_inboxmessage SET change_seq = id")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM messaging_inboxmessage")
        (highest,) = cursor.fetchone()
        if not highest:
            return
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval('register_change_seq', GREATEST(%s, "
                           "(SELECT last_value FROM register_change_seq)))", [highest])
        else:
            cursor.execute("UPDATE register_changecounter SET last = MAX(last, %s) WHERE id = 1",
                           [highest])


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0005_reads_per_reader"),
        ("register", "0006_phones_in_e164"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboxmessage",
            name="change_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="inboxmessage",
            name="change_xid",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(stamp_existing, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="inboxmessage",
            index=models.Index(condition=models.Q(("direction", "from_client")),
                               fields=["institution", "change_xid", "change_seq"],
                               name="message_replies_position"),
        ),
        migrations.RemoveIndex(
            model_name="inboxmessage",
            name="message_replies",
        ),
    ]
