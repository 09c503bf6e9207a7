"""The Editors group, with exactly the permissions editors need.

Editors moderate and curate cases, their outcomes and sources, the editable
vocabularies and readers' reports. They cannot delete cases or manage users.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = {
    "case": ["add", "change", "view"],
    "outcome": ["add", "change", "delete", "view"],
    "source": ["add", "change", "delete", "view"],
    "servicearea": ["add", "change", "view"],
    "coproducer": ["add", "change", "view"],
    "phase": ["view"],
    "activity": ["view"],
    "moderationevent": ["view"],
    "problemreport": ["change", "view"],
    "historicalcase": ["view"],
}


def create_editors(apps, schema_editor):
    # Permissions are normally created after migrating; create them now to assign them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_submissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
