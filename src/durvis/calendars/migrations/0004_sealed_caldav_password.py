"""The CalDAV password sealed at rest (`durvis.core.sealed`): the column grows for the JWE, and
every password kept in plain text until now is sealed with the current key (back: opened)."""

from django.db import migrations, models


def _seal(apps, schema_editor):
    from durvis.core.sealed import seal

    Calendar = apps.get_model("calendars", "Calendar")
    for calendar in Calendar.objects.exclude(forward_password="").only("pk", "forward_password"):
        Calendar.objects.filter(pk=calendar.pk).update(
            forward_password=seal(calendar.forward_password))


def _open(apps, schema_editor):
    from durvis.core.sealed import unseal

    Calendar = apps.get_model("calendars", "Calendar")
    for calendar in Calendar.objects.exclude(forward_password="").only("pk", "forward_password"):
        Calendar.objects.filter(pk=calendar.pk).update(
            forward_password=unseal(calendar.forward_password)[:200])


class Migration(migrations.Migration):
    dependencies = [("calendars", "0003_one_booking_per_client_start")]

    operations = [
        migrations.AlterField(
            model_name="calendar", name="forward_password",
            field=models.CharField(blank=True, max_length=1000, verbose_name="password")),
        migrations.RunPython(_seal, _open),
    ]
