from django.core.management.base import BaseCommand

from catalogue.models import Notification
from catalogue.notifications import purge_sent, send_due


class Command(BaseCommand):
    help = (
        "Send the e-mails that are due: new ones a worker could not send, and retries of failed "
        "ones; delete messages sent more than 90 days ago. Run it every minute from the "
        "scheduler (docs/deployment.md)."
    )

    def handle(self, *args, **options):
        sent = send_due(limit=500)
        purged = purge_sent()
        waiting = Notification.objects.filter(status=Notification.Status.QUEUED).count()
        failed = Notification.objects.filter(status=Notification.Status.FAILED).count()
        self.stdout.write(
            f"Sent {sent}; {waiting} waiting; {failed} failed for good; {purged} old ones deleted."
        )
