from django.core.management.base import BaseCommand

from catalogue.search import refresh_words


class Command(BaseCommand):
    help = (
        "Bring the list of indexed words that typo correction compares with up to date "
        "(PostgreSQL; SQLite's is always current). Imports do it themselves; run it every ten "
        "minutes from the scheduler for cases published or edited in the admin "
        "(docs/deployment.md)."
    )

    def handle(self, *args, **options):
        refresh_words()
        self.stdout.write("The search's word list is up to date.")
