"""Telling the caching proxies (and any CDN) which pages a change retired, by surrogate key.

When a change commits, articles sends ``caching.pages_retired`` with the keys of every page that
showed the old state. For each configured purger, edge/signals.py records a ``Purge`` (durable: it
is in the database before anything goes out), then delivers it at once from a short-lived thread, so
no reader gets the old page from a proxy more than a moment after the editor's save returned, and the
save never waits on a proxy. A task queued at the same time is the backstop (edge/tasks.py): if the
thread failed (a proxy down) or never ran (the process died), the worker tries again, with growing
delays, until the purger takes the keys. Whoever delivers marks the record, and the other finds
nothing left to do.

Deliveries coalesce: one delivery sends every key still pending for that purger, so a proxy that was
down gets what it missed with the next purge that reaches it, and a purge of ``site`` (every page)
stands for all the others. Undelivered purges show in ``/healthz``.

Purgers are pluggable (``NEWSROOM_PURGERS``): subclass ``Purger`` (README, "Caching proxy").
"""

import http.client
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from edge.models import Purge
from newsroom import replica

logger = logging.getLogger(__name__)

# What a surrogate key may contain (the contract with the page cache, and what the VCL accepts).
KEY = re.compile(r"[A-Za-z0-9:._-]+")
# The key on every cacheable page: purging it purges everything.
EVERYTHING = "site"
# Seconds a proxy has to accept a connection and to answer a purge: the thread gives up quickly and
# leaves the rest to the task.
TIMEOUT = 1.0
# Keys per PURGE request are cut to keep its header well under Varnish's (8 kB by default) limits.
HEADER_LIMIT = 4000
# A record this old and still pending is reported even if no attempt has finished yet.
REPORT_AFTER = timedelta(seconds=10)
# Records delivered longer ago than this are deleted.
KEEP_DELIVERED = timedelta(days=1)
BATCH = 500


class PurgeError(Exception):
    """A purger could not deliver: says which, and why."""


class Purger:
    """Something that removes pages by surrogate key: a caching proxy, a CDN.

    Subclasses set ``name`` (unique among the configured purgers; it identifies their records and
    their line in /healthz) and implement ``purge(keys)``, raising ``PurgeError`` when the keys were
    not (all) taken; the delivery is then tried again later with every key still pending. ``purge``
    may be called twice with the same keys, and from a thread: it must be idempotent and short (a
    few seconds at most). ``from_settings()`` returns the configured instances (none: off).
    """

    name = ""

    @classmethod
    def from_settings(cls):
        return [cls()]

    def purge(self, keys):
        raise NotImplementedError


class VarnishPurger(Purger):
    """A Varnish running edge/varnish/newsroom.vcl: ``PURGE /`` with ``xkey-purge: key1 key2``, one
    for each ``NEWSROOM_PURGE_URLS`` entry."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.name = self.url

    @classmethod
    def from_settings(cls):
        return [cls(url) for url in settings.NEWSROOM_PURGE_URLS]

    def purge(self, keys):
        # Read after the change committed, so at or past its retirement: the VCL keeps no page
        # fetched meanwhile that is older than this.
        epoch, version = current_version()
        for header in key_headers(keys, HEADER_LIMIT):
            self._send(header, epoch, version)

    def _send(self, header, epoch, version):
        parts = urlsplit(self.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=TIMEOUT)
        try:
            connection.request(
                "PURGE",
                parts.path or "/",
                headers={"xkey-purge": header, "xkey-epoch": str(epoch), "xkey-version": str(version)},
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            raise PurgeError(f"{self.url} could not be reached: {error}") from error
        finally:
            connection.close()
        if response.status != 200:
            raise PurgeError(f"{self.url} answered {response.status} {response.reason}")


def current_version():
    """The content version on the primary now (articles.ContentVersion), as the page cache names it
    to proxies: (epoch, changes since the epoch); (0, 0) when there is none."""
    from articles.models import ContentVersion

    row = ContentVersion.objects.using("default").values_list("epoch", "version").first()
    return (row[0], row[1] - row[0]) if row else (0, 0)


def key_headers(keys, limit):
    """``keys`` as space-separated header values of at most ``limit`` characters each."""
    headers, current = [], ""
    for key in sorted(keys):
        if current and len(current) + 1 + len(key) > limit:
            headers.append(current)
            current = ""
        current = f"{current} {key}" if current else key
    if current:
        headers.append(current)
    return headers


def configured_purgers():
    """Every purger ``NEWSROOM_PURGERS`` configures, by name."""
    purgers = {}
    for path in settings.NEWSROOM_PURGERS:
        for purger in import_string(path).from_settings():
            purgers[purger.name] = purger
    return purgers


def _replica_caught_up():
    """Whether the read replica has replayed the primary's latest writes (waits up to 2 s): a purge
    sent earlier would let the proxy refetch the old page from a lagging replica."""
    return replica.caught_up(timeout=2.0)


# Recording and delivering.


def deliver(name):
    """Send every key still pending for the purger ``name`` and mark those records delivered.

    Returns how many records it delivered. Raises ``PurgeError`` (after recording it on the
    records) when the purger failed, or when the read replica was behind: the keys were purged then,
    but are purged again at the next attempt, once the replica has the change.
    """
    purger = configured_purgers().get(name)
    if purger is None:
        return 0  # no longer configured: nothing to deliver to
    pending = Purge.objects.filter(purger=name, delivered_at=None)
    last = pending.aggregate(last=Max("pk"))["last"]
    delivered = 0
    while last is not None:
        batch = list(pending.filter(pk__lte=last).order_by("pk").values_list("pk", "keys")[:BATCH])
        if not batch:
            break
        ids = [pk for pk, _ in batch]
        keys = {key for _, text in batch for key in text.split()}
        if EVERYTHING in keys:
            keys = {EVERYTHING}
        caught_up = _replica_caught_up()
        try:
            purger.purge(keys)
            if not caught_up:
                raise PurgeError("the read replica had not caught up within 2 s (purged; purging again)")
        except PurgeError as error:
            Purge.objects.filter(pk__in=ids, delivered_at=None).update(
                attempts=F("attempts") + 1, last_attempt_at=timezone.now(), last_error=str(error)
            )
            raise
        now = timezone.now()
        delivered += Purge.objects.filter(pk__in=ids, delivered_at=None).update(
            attempts=F("attempts") + 1, last_attempt_at=now, last_error="", delivered_at=now
        )
    Purge.objects.filter(delivered_at__lt=timezone.now() - KEEP_DELIVERED).delete()
    return delivered


def health():
    """The "purges" line of /healthz: "off", "ok", or what is undelivered, to whom, since when."""
    names = list(configured_purgers())
    if not names:
        return "off", True
    failing = (
        Purge.objects.filter(purger__in=names, delivered_at=None)
        .filter(Q(attempts__gt=0) | Q(created_at__lt=timezone.now() - REPORT_AFTER))
        .values("purger")
        .annotate(count=Count("pk"), since=Min("created_at"), latest=Max("pk"))
        .order_by("purger")
    )
    lines = []
    for row in failing:
        error = Purge.objects.filter(pk=row["latest"]).values_list("last_error", flat=True).first()
        since = row["since"].isoformat(timespec="seconds")
        what = f"{row['count']} undelivered to {row['purger']} since {since}"
        lines.append(f"{what}: {error or 'not tried yet'}")
    if not lines:
        return "ok", True
    return "failing: " + "; ".join(lines), False
