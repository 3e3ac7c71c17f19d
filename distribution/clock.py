"""The distribution clock: a task that runs every NEWSROOM_DISTRIBUTION_TICK seconds on the worker
and does what is due by time rather than by an editor: the daily briefing at its hour, and picking
up a mailing whose sender stopped (a worker killed mid-send, a machine restarted) or a webhook
delivery whose task was lost.

django-tasks has no periodic tasks, so each tick queues the next. ``manage.py worker`` starts the
chain when a worker starts; a chain broken by a killed worker is started again by the next one.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from distribution import briefings
from distribution.models import Mailing
from distribution.models.newsletters import MailingStatus
from distribution.sending import send_mailing
from distribution.webhooks.sending import requeue_stranded

logger = logging.getLogger(__name__)

READY = "READY"


@task()
def tick():
    try:
        sent = briefings.send_due()
        resumed = resume_stalled()
        requeued = requeue_stranded()
    finally:
        start(delay=settings.NEWSROOM_DISTRIBUTION_TICK)
    return f"briefings {len(sent)}, mailings resumed {len(resumed)}, webhooks queued again {len(requeued)}"


def start(delay=0):
    """Queue the next tick, unless one is queued already."""
    if _queued(tick).exists():
        return
    tick.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue()


def resume_stalled(now=None):
    """Queue the sending again of each mailing that is unfinished, whose sender has not been heard
    from for NEWSROOM_MAILING_STALL seconds, and for which no run is waiting (a retry after an
    error is one). The run takes up only the recipients still pending."""
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.NEWSROOM_MAILING_STALL)
    unfinished = Mailing.objects.filter(status__in=[MailingStatus.QUEUED, MailingStatus.SENDING])
    stalled = [
        m.pk
        for m in unfinished.only("pk", "heartbeat_at", "created_at")
        if (m.heartbeat_at or m.created_at) < quiet_since
    ]
    if not stalled:
        return []
    waiting = {
        (result.args_kwargs.get("args") or [None])[0] for result in _queued(send_mailing).only("args_kwargs")
    }
    resumed = [pk for pk in stalled if pk not in waiting]
    for pk in resumed:
        logger.warning("Mailing %s stalled; sending it on from where it stopped.", pk)
        Mailing.objects.filter(pk=pk).update(heartbeat_at=now)
        send_mailing.enqueue(pk)
    return resumed


def _queued(task_object):
    return DBTaskResult.objects.filter(task_path=task_object.module_path, status=READY)
