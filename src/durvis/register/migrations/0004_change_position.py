"""A case's change position (`durvis.register.changes`): the writing transaction's id beside its
change number, and the sync listing's indexes by both. Existing rows get transaction id 0 (a
constant default: no table rewrite on PostgreSQL), so they sort before every later change and
cursors handed out before stay valid. The new indexes are built before the old ones go."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("register", "0003_client_owned"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicecase",
            name="change_xid",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddIndex(
            model_name="servicecase",
            index=models.Index(fields=["holder", "change_xid", "change_seq"],
                               name="case_holder_position"),
        ),
        migrations.AddIndex(
            model_name="servicecase",
            index=models.Index(fields=["provider", "change_xid", "change_seq"],
                               name="case_provider_position"),
        ),
        migrations.RemoveIndex(model_name="servicecase", name="case_holder_changes"),
        migrations.RemoveIndex(model_name="servicecase", name="case_provider_changes"),
    ]
