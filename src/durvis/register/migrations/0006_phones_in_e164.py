"""The caller's number of phone-only cases and consultations in E.164 (`durvis.core.phones`):
the API took it as typed (`29123456`, `+371 29 123 456`). Each valid number is rewritten as
`+37129123456`; one that is not stays as it is."""

import phonenumbers
from django.db import migrations


def e164(value):
    try:
        number = phonenumbers.parse(value, "LV")
    except phonenumbers.NumberParseException:
        return value
    if not value.isascii() or not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def forwards(apps, schema_editor):
    for name in ("ServiceCase", "Consultation"):
        model = apps.get_model("register", name)
        for row in model.objects.exclude(client_phone="").only("pk", "client_phone").iterator():
            number = e164(row.client_phone)
            if number != row.client_phone:
                model.objects.filter(pk=row.pk).update(client_phone=number)


class Migration(migrations.Migration):
    dependencies = [("register", "0005_feedback_given_by")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
