import sys

from django.core.management.base import BaseCommand, CommandError

from catalogue.interchange import ImportFailed
from catalogue.services import cases_import
from catalogue.tabular import read_documents


class Command(BaseCommand):
    help = (
        "Import cases from JSON or CSV files (docs/case-format.md). All-or-nothing: any invalid "
        "case is reported by file, row and field, and nothing is written. Existing slugs are "
        "updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="JSON or CSV files, read in order.")

    def handle(self, *args, paths, **options):
        docs, places = [], []
        for path in paths:
            try:
                found = read_documents(path)
            except (OSError, ValueError) as error:
                raise CommandError(f"{path}: {error}; nothing was imported.") from error
            docs += found
            places += [(path, row) for row in range(1, len(found) + 1)]
        show_progress = len(docs) >= 500 and sys.stdout.isatty()

        def progress(done, total):
            if show_progress:
                self.stdout.write(f"\r{done}/{total} cases", ending="")
                self.stdout.flush()

        def warn(warning):
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))

        try:
            count = cases_import(documents=docs, places=places, progress=progress, warn=warn)
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(failure.errors)} error(s); nothing was imported."
            ) from failure
        if show_progress:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Imported {count} case(s)."))
