"""Addresses of cases merged into another keep working: a permanent redirect to the case that
replaced them (django.contrib.redirects). Editors add more in the admin under "Redirects"."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

MERGED = {
    # One practice, described by a 2016 pilot and a 2020 evaluation: one case with both sources.
    "pact-maternal-health-community-intervention": "community-organising-maternal-health-south-london",
}


def add(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Redirect = apps.get_model("redirects", "Redirect")
    site, _ = Site.objects.get_or_create(
        id=settings.SITE_ID, defaults={"domain": "example.com", "name": "example.com"}
    )
    Case = apps.get_model("catalogue", "Case")
    ModerationEvent = apps.get_model("catalogue", "ModerationEvent")
    for old, new in MERGED.items():
        Redirect.objects.update_or_create(
            site=site, old_path=f"/cases/{old}/", defaults={"new_path": f"/cases/{new}/"}
        )
        # A catalogue seeded before the merge still holds the old case: taken down, it leaves
        # its address to the redirect, and its log says why.
        for case in Case.objects.filter(slug=old, status="published"):
            Case.objects.filter(pk=case.pk).update(status="withdrawn")
            ModerationEvent.objects.create(
                case=case,
                action="withdraw",
                from_status="published",
                to_status="withdrawn",
                reason=f"Merged into the case at /cases/{new}/, which now describes both studies.",
            )
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="redirects",
            codename__in=[f"{a}_redirect" for a in ("add", "change", "delete", "view")],
        )
    )


def remove(apps, schema_editor):
    Redirect = apps.get_model("redirects", "Redirect")
    Redirect.objects.filter(old_path__in=[f"/cases/{old}/" for old in MERGED]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0014_search_coverage"),
        ("redirects", "0002_alter_redirect_new_path_help_text"),
        ("sites", "0002_alter_domain_unique"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(add, remove)]
