"""What edge does when pages retire (``caching.pages_retired``, connected in EdgeConfig): record a
purge for every configured purger, queue its backstop task, and deliver it at once from a thread
(edge/purging.py says why both)."""

import logging
import threading
from datetime import timedelta

from django.db import DatabaseError, connections
from django.utils import timezone

from edge import purging
from edge.models import Purge
from edge.tasks import deliver_purge

logger = logging.getLogger(__name__)

# When the backstop task first looks: after the thread's bounded attempt (the replica wait, then
# connect and answer) has had its chance.
BACKSTOP_DELAY = 5.0


def on_pages_retired(sender=None, keys=(), **kwargs):
    """``caching.pages_retired`` receiver (after the change committed): record the purge for every
    configured purger, queue the backstop task, and deliver at once from a thread."""
    keys = {key for key in keys if purging.KEY.fullmatch(key)}
    purgers = purging.configured_purgers()
    if not keys or not purgers:
        return
    keys_text = " ".join(sorted(keys))
    records = Purge.objects.bulk_create([Purge(purger=name, keys=keys_text) for name in purgers])
    backstop = deliver_purge.using(run_after=timezone.now() + timedelta(seconds=BACKSTOP_DELAY))
    for record in records:
        backstop.enqueue(record.pk)
    # Not a daemon: a command that retired pages waits (a few seconds at most) for its purges.
    threading.Thread(target=_deliver_now, args=(list(purgers),), name="newsroom-purge").start()


def _deliver_now(names):
    try:
        for name in names:
            try:
                purging.deliver(name)
            except purging.PurgeError as error:
                logger.warning("Purge not delivered yet, the worker will try again: %s", error)
            except DatabaseError as error:
                # Recording the attempt failed (SQLite busy under another writer, say): the records
                # stay pending, and the backstop task delivers them.
                logger.warning("Purge left to the worker, the database refused its record: %s", error)
    finally:
        connections.close_all()  # this thread's own connections
