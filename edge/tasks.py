"""The backstop for purges the immediate attempt could not deliver (edge/purging.py).

A task of its own rather than distribution's ``retried``: edge does not depend on a sibling app, and
a purge is tried again differently: each attempt delivers every key still pending for its purger, and
finds nothing to do once another attempt (the thread, a later purge's task) has delivered them.
Delays grow as distribution's do: ``NEWSROOM_TASK_RETRY_DELAY`` seconds, doubling, for at most
``NEWSROOM_TASK_ATTEMPTS`` attempts. After the last, the record stays undelivered, /healthz says so,
and the next purge to the same proxy carries its keys.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from edge import purging
from edge.models import Purge


class PurgeAttemptFailed(Exception):
    """An attempt failed: which, why, and when the next is due (if any)."""


@task()
def deliver_purge(purge_id, attempt=1):
    """Deliver the purge ``purge_id`` (with everything else pending for its purger), unless that is
    done already; when it fails, queue the next attempt and raise ``PurgeAttemptFailed``."""
    record = Purge.objects.filter(pk=purge_id, delivered_at=None).first()
    if record is None:
        return 0
    try:
        return purging.deliver(record.purger)
    except purging.PurgeError as error:
        attempts = settings.NEWSROOM_TASK_ATTEMPTS
        if attempt >= attempts:
            raise PurgeAttemptFailed(f"attempt {attempt} of {attempts} failed, giving up: {error}") from error
        delay = settings.NEWSROOM_TASK_RETRY_DELAY * 2 ** (attempt - 1)
        deliver_purge.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            purge_id, attempt=attempt + 1
        )
        raise PurgeAttemptFailed(
            f"attempt {attempt} of {attempts} failed, trying again in {delay:g} s: {error}"
        ) from error
