"""The search thesaurus (SynonymGroup): words and phrases a search treats as the same, a first set
of groups from the catalogue's own field, and the Editors' permission to extend it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUPS = [
    (
        "elderly, older people, older adults, older persons",
        "How sources and practitioners name the same group.",
    ),
    ("donation, donor", "Giving money or goods, named by the act or the giver."),
    ("coop, co operative, cooperative", "Spelt with and without the hyphen, or shortened."),
    ("gp, general practice, general practitioner", "Primary care in the UK."),
    ("time bank, timebank, time banking", "One word or two."),
    ("health care, healthcare", "One word or two."),
    ("youth, young people", "The same age group."),
    ("carer, caregiver", "British and American usage."),
    (
        "local authority, council, municipality",
        "Local government, as named in different countries.",
    ),
    ("participatory budgeting, pb", "The practice and its common abbreviation."),
    ("disabled people, disability, disabilities", "The people and the condition."),
]
CODENAMES = [f"{action}_synonymgroup" for action in ("add", "change", "delete", "view")]


def seed(apps, schema_editor):
    SynonymGroup = apps.get_model("catalogue", "SynonymGroup")
    for terms, note in GROUPS:
        SynonymGroup.objects.get_or_create(terms=terms, defaults={"note": note})
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


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0011_evidence_changed_in_the_form"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="SynonymGroup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "terms",
                    models.CharField(
                        help_text="Two or more words or phrases that mean the same here, "
                        "separated by commas, e.g. “elderly, older people, older adults”.",
                        max_length=300,
                        unique=True,
                    ),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True, help_text="Why they belong together.", max_length=200
                    ),
                ),
            ],
            options={"verbose_name": "synonym group", "ordering": ["terms"]},
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
