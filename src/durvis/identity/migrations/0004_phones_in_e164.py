"""Phone numbers in E.164 (`durvis.core.phones`): the profile stored Latvian mobile numbers as
"+371 29123456" and demo or register data as typed. Each number that is a valid one is
rewritten as `+37129123456`; one that is not (older data) stays as it is and is shown so.

A pending confirmation's code is bound to the address it was sent to (its HMAC), so a pending
change of a number that is rewritten expires now: the profile offers to send a new code to the
same number, which is then stored in E.164.
"""

import phonenumbers
from django.db import migrations
from django.utils import timezone


def e164(value):
    try:
        number = phonenumbers.parse(value, "LV")
    except phonenumbers.NumberParseException:
        return value
    if not value.isascii() or not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def forwards(apps, schema_editor):
    Person = apps.get_model("identity", "Person")
    ContactConfirmation = apps.get_model("identity", "ContactConfirmation")
    for person in Person.objects.exclude(phone="").only("pk", "phone").iterator():
        number = e164(person.phone)
        if number != person.phone:
            Person.objects.filter(pk=person.pk).update(phone=number)
    for confirmation in ContactConfirmation.objects.filter(kind="phone").iterator():
        number = e164(confirmation.value)
        if number == confirmation.value:
            continue
        changes = {"value": number}
        if confirmation.status == "pending":
            changes["expires_at"] = min(confirmation.expires_at, timezone.now())
        ContactConfirmation.objects.filter(pk=confirmation.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("identity", "0003_person_contacts_version")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
