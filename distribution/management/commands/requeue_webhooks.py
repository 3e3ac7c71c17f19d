"""``requeue_webhooks``: queue again the webhook deliveries whose task was lost."""

from django.core.management.base import BaseCommand

from distribution.webhooks.sending import requeue_stranded


class Command(BaseCommand):
    help = (
        "Queue an attempt at every pending webhook delivery more than five minutes overdue with no "
        "task waiting for it: a worker stopped while sending, or a process died before queueing it. "
        "manage.py worker's clock does this every tick; safe at any time, nothing is sent twice."
    )

    def handle(self, *args, verbosity, **options):
        ids = requeue_stranded()
        if verbosity and ids:
            self.stdout.write(f"{len(ids)} webhook delivery(ies) queued again.")
