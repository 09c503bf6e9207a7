from django.core.management.base import BaseCommand, CommandError

from catalogue import releases


class Command(BaseCommand):
    help = (
        "Write a dated release of the open data (CSV, JSON, data package, README and SHA-256 "
        "checksums) under DATA_RELEASES_DIR. A release is never overwritten: a second one the "
        "same day gets the next number (2026-03-01-2)."
    )

    def handle(self, *args, **options):
        try:
            release = releases.release_write()
        except (releases.ReleaseExists, OSError) as error:
            raise CommandError(f"No release written: {error}") from error
        if release is None:
            raise CommandError("The release could not be read back after writing it.")
        folder = releases.folder() / release.name
        self.stdout.write(f"Release {release.name}: {release.count} cases, in {folder}")
        for file in release.files:
            if file.sha256:
                self.stdout.write(f"  {file.sha256}  {file.name}")
