"""Confirmation codes already sent (or given up) are removed from the outbox: from now on a
secret message's text is removed when it reaches its end (`services.purged_payload`), and this
does the same for those written before (issue 11). Pending ones are marked secret, so their text
is removed once they are delivered."""

from django.db import migrations

CODE_EVENT = "identity.contact_code"  # messaging.services.CONTACT_CODE_EVENT
FINAL = ["delivered", "dead"]


def purge(apps, schema_editor):
    outbox = apps.get_model("integrations", "OutboxMessage")
    outbox.objects.filter(event=CODE_EVENT, status__in=FINAL).update(
        payload={"secret": True, "purged": True})
    for message in outbox.objects.filter(event=CODE_EVENT).exclude(status__in=FINAL):
        message.payload = {**message.payload, "secret": True}
        message.save(update_fields=["payload"])


class Migration(migrations.Migration):

    dependencies = [("integrations", "0003_outbox_leases")]

    operations = [migrations.RunPython(purge, migrations.RunPython.noop)]
