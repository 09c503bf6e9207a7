"""Backups: the documented dump and restore reproduce every row and the catalogue's content."""

import pytest
from django.apps import apps
from django.core.management import call_command

from catalogue import services
from catalogue.models import Case
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The commands of docs/deployment.md, "Backups".
DUMP = [
    "dumpdata",
    "--natural-foreign",
    "--natural-primary",
    "--indent",
    "1",
    "-e",
    "contenttypes",
    "-e",
    "auth.permission",
    "-e",
    "sessions",
    "-e",
    "admin.logentry",
]


def snapshot():
    counts = {
        m._meta.label: m.objects.count() for m in apps.get_app_config("catalogue").get_models()
    }
    return counts


def test_dump_and_restore_round_trip(seed_catalogue, tmp_path, capsys):
    doc = case_doc()
    doc.pop("slug")
    case, _ = services.case_submit(
        document=doc, contact=services.Contact(name="N", email="n@example.org")
    )
    services.case_request_changes(case=case, actor=None, reason="More detail")
    export_before = tmp_path / "before.json"
    call_command("export_cases", "--status", "all", "--output", str(export_before))
    before = snapshot()
    backup = tmp_path / "backup.json"
    call_command(*DUMP, "--output", str(backup))

    call_command("flush", "--noinput")
    assert Case.objects.count() == 0
    call_command("restore_backup", str(backup), verbosity=0)

    assert snapshot() == before
    export_after = tmp_path / "after.json"
    call_command("export_cases", "--status", "all", "--output", str(export_after))
    assert export_after.read_text() == export_before.read_text()
    restored = Case.objects.get(pk=case.pk)
    assert restored.submitter_email == "n@example.org" and restored.events.count() == 2
    # The search index follows the restored rows.
    assert client_search("village")


def client_search(word):
    from django.test import Client

    response = Client().get("/cases/", {"q": word})
    return [c.slug for c in response.context["page"].object_list]
