"""Who rated (issue 12; A2, C1): `Feedback.given_by`, the person who gave a rating for the
client (the client, a parent, a representative). A case's existing ratings take it from their
`feedback` case event, whose actor (`person:<id>`) was recorded; a consultation's ratings had
no event, so theirs stay empty (the activity log still names the actor)."""

import django.db.models.deletion
from django.db import migrations, models


def take_from_case_events(apps, schema_editor):
    feedback = apps.get_model("register", "Feedback")._meta.db_table
    event = apps.get_model("register", "CaseEvent")._meta.db_table
    person = apps.get_model("identity", "Person")._meta.db_table
    q = schema_editor.quote_name
    actor = "CAST(SUBSTR(e.actor_id, 8) AS BIGINT)"
    # Table names from the models' own metadata, quoted; the values are parameters.
    schema_editor.execute(
        f"UPDATE {q(feedback)} SET given_by_id = (SELECT {actor} FROM {q(event)} e "  # noqa: S608
        f"WHERE e.case_id = {q(feedback)}.case_id AND e.dedup_key = 'feedback' "
        f"AND e.actor_kind = %s AND e.actor_id LIKE %s "
        f"AND EXISTS (SELECT 1 FROM {q(person)} p WHERE p.id = {actor})) "
        f"WHERE case_id IS NOT NULL", ["person", "person:%"])


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0002_contactconfirmation'),
        ('register', '0004_change_position'),
    ]

    operations = [
        migrations.AddField(
            model_name='feedback',
            name='given_by',
            field=models.ForeignKey(blank=True, help_text='Who rated for the client: the client, a parent, a representative (empty before it was recorded).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='identity.person'),
        ),
        migrations.RunPython(take_from_case_events, migrations.RunPython.noop, elidable=False),
    ]
