from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalogue.services import alerts_send_due


class Command(BaseCommand):
    help = (
        "Queue the digests of the search alerts that are due (daily or weekly) and have newly "
        "published matching cases; delete alerts left unconfirmed for a week. A case is never "
        "sent twice to one alert, so running it again is harmless. Run it daily from the "
        "scheduler (docs/deployment.md); send_queued_mail sends what it queues."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Act as if it were this moment (ISO 8601, e.g. 2026-03-01T07:00:00+00:00).",
        )

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        sent = alerts_send_due(now=moment)
        self.stdout.write(f"Queued {sent} digest{'s' if sent != 1 else ''}.")
