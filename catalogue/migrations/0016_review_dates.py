"""When an editor last reviewed each case's classification and evidence rating.

Cases published before this kept no such date. A published case whose evidence rating an editor
had confirmed is taken to have been reviewed when it was published (or, if that is not recorded,
when it was last changed); any other case has not yet been reviewed.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce


def reviewed_when_published(apps, schema_editor):
    Case = apps.get_model("catalogue", "Case")
    Case.objects.filter(
        status="published", evidence_confirmed=True, reviewed_at__isnull=True
    ).update(reviewed_at=Coalesce(F("published_at"), F("updated_at")))


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0015_merged_case_addresses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="reviewed_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Set when an editor confirms the evidence rating, publishes a case whose rating is confirmed, or marks it as reviewed.",
                null=True,
                verbose_name="classification and evidence last reviewed",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="Private: only editors see it.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="reviewed_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Set when an editor confirms the evidence rating, publishes a case whose rating is confirmed, or marks it as reviewed.",
                null=True,
                verbose_name="classification and evidence last reviewed",
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                help_text="Private: only editors see it.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="moderationevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("submit", "Submitted"),
                    ("resubmit", "Resubmitted"),
                    ("publish", "Published"),
                    ("request_changes", "Changes requested"),
                    ("reject", "Rejected"),
                    ("withdraw", "Withdrawn"),
                    ("confirm_evidence", "Evidence rating confirmed"),
                    ("change_evidence", "Evidence rating changed in the case form"),
                    ("erase_submitter", "Submitter's personal data erased"),
                    ("review", "Classification and evidence reviewed"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(reviewed_when_published, migrations.RunPython.noop),
    ]
