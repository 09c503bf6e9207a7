from django.core.management.base import BaseCommand

from catalogue.models import Notification
from catalogue.notifications import send_due


class Command(BaseCommand):
    help = (
        "Send the e-mails that are due: new ones a worker could not send, and retries of failed "
        "ones. Run it every minute from the scheduler (docs/deployment.md)."
    )

    def handle(self, *args, **options):
        sent = send_due(limit=500)
        waiting = Notification.objects.filter(status=Notification.Status.QUEUED).count()
        failed = Notification.objects.filter(status=Notification.Status.FAILED).count()
        self.stdout.write(f"Sent {sent}; {waiting} waiting; {failed} failed for good.")
