from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from catalogue.cache import bump_catalogue_version
from catalogue.search import refresh_words


class Command(BaseCommand):
    help = (
        "Restore a backup made with the dumpdata command of docs/deployment.md into a migrated, "
        "empty database. The history is restored as it was, not recorded again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        # Loading rows would otherwise add a new history entry for every restored case.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", path, verbosity=options["verbosity"])
        bump_catalogue_version()
        refresh_words()
