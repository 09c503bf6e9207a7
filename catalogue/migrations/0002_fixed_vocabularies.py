"""Rows for the fixed vocabularies (phases and activities), from catalogue.vocabulary."""

from django.db import migrations

from catalogue import vocabulary as v


def create_terms(apps, schema_editor):
    Phase = apps.get_model("catalogue", "Phase")
    Activity = apps.get_model("catalogue", "Activity")
    phases = {}
    for position, phase in enumerate(v.Phase):
        phases[phase.value], _ = Phase.objects.update_or_create(
            slug=phase.value, defaults={"position": position}
        )
    for position, activity in enumerate(v.Activity):
        Activity.objects.update_or_create(
            slug=activity.value,
            defaults={"position": position, "phase": phases[v.ACTIVITY_PHASE[activity.value]]},
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(create_terms, migrations.RunPython.noop)]
