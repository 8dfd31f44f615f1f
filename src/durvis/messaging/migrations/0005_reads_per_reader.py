"""Read state per reader (issue 12; A2, C1).

Until now a message from an institution had one `read_at`: whoever opened it first marked it
read for everybody who may read the client's inbox (every representative of a company, both
parents of a child). Now each reader's opening is a `MessageRead` row (message, reader, when).

The old reads are carried over, one statement for all of them (`INSERT ... SELECT`, so millions
of messages take one pass):

- a person's message (no company): the read is attributed to that person, the client. For an
  adult that is who read it nearly always; for a minor it was more likely a parent, who will
  therefore see those old messages as unread once. Nobody is shown an old read they did not
  make as someone else's: the institution sees the client as the reader, as it did before.
- a company's message: nobody recorded which representative opened it, so the read is kept
  without a reader (`reader` NULL, "reader not recorded"). Such a read counts as read for every
  representative, so no company's old messages come back as unread, and the institution sees
  the time without a name rather than a guessed one.

Going back (unapplying) restores `read_at` as the earliest read of each message.
"""

import django.db.models.deletion
from django.db import migrations, models


def carry_reads_over(apps, schema_editor):
    message = apps.get_model("messaging", "InboxMessage")._meta.db_table
    read = apps.get_model("messaging", "MessageRead")._meta.db_table
    quote = schema_editor.quote_name
    # Table names from the models' own metadata, quoted; the values are parameters.
    schema_editor.execute(
        f"INSERT INTO {quote(read)} (message_id, reader_id, read_at) "  # noqa: S608
        f"SELECT id, CASE WHEN client_company_id IS NULL THEN client_person_id END, read_at "
        f"FROM {quote(message)} WHERE read_at IS NOT NULL AND direction = %s",
        ["from_institution"])


def bring_read_at_back(apps, schema_editor):
    message = apps.get_model("messaging", "InboxMessage")._meta.db_table
    read = apps.get_model("messaging", "MessageRead")._meta.db_table
    quote = schema_editor.quote_name
    # Table names from the models' own metadata, quoted; the values are parameters.
    schema_editor.execute(
        f"UPDATE {quote(message)} SET read_at = (SELECT MIN(r.read_at) FROM {quote(read)} r "  # noqa: S608
        f"WHERE r.message_id = {quote(message)}.id)")


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0002_contactconfirmation'),
        ('messaging', '0004_notification_settings_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='MessageRead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('read_at', models.DateTimeField(verbose_name='read')),
                ('message', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reads', to='messaging.inboxmessage')),
                ('reader', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='identity.person')),
            ],
            options={
                'verbose_name': 'read of a message',
                'verbose_name_plural': 'reads of messages',
                'constraints': [
                    models.UniqueConstraint(fields=('message', 'reader'), name='one_read_per_reader'),
                    models.UniqueConstraint(condition=models.Q(('reader__isnull', True)), fields=('message',), name='one_unattributed_read'),
                ],
            },
        ),
        migrations.RunPython(carry_reads_over, bring_read_at_back, elidable=False),
        migrations.RemoveIndex(
            model_name='inboxmessage',
            name='message_person_unread',
        ),
        migrations.RemoveIndex(
            model_name='inboxmessage',
            name='message_company_unread',
        ),
        migrations.RemoveField(
            model_name='inboxmessage',
            name='read_at',
        ),
        migrations.AddIndex(
            model_name='inboxmessage',
            index=models.Index(condition=models.Q(('direction', 'from_institution')), fields=['client_person', 'id'], name='message_person_inbound'),
        ),
        migrations.AddIndex(
            model_name='inboxmessage',
            index=models.Index(condition=models.Q(('direction', 'from_institution')), fields=['client_company', 'id'], name='message_company_inbound'),
        ),
    ]
