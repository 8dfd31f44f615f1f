"""When the worker next writes a checkpoint of the activity log (`audit.checkpoints`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_hashes")]

    operations = [
        migrations.CreateModel(
            name="CheckpointSchedule",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("next_at", models.DateTimeField()),
            ],
        ),
    ]
