"""Editors see the outbox (Notification) and may queue a failed e-mail to be sent again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_notification", "change_notification"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="catalogue", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(*group.permissions.filter(codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0009_notifications")]

    operations = [migrations.RunPython(grant, revoke)]
