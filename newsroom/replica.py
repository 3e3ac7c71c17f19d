"""The read replica: public reads from DATABASE_REPLICA_URL, everything else from the primary.

Reads go to the replica only where staleness of a few seconds is harmless, and only while it is
healthy. The rule, in one place:

- Nothing reads the replica unless it is switched on for the current context. Only
  ``PrimaryForStaffMiddleware`` switches it on, for an anonymous GET or HEAD outside /admin/ and
  /preview/. Management commands, the task worker, shell sessions and tests read the primary.
- Every write goes to the primary, and once a context has written (or is inside a transaction)
  its reads do too: nobody reads around their own write.
- A request carrying the session cookie is a signed-in editor's: it reads the primary, so an editor
  sees their own change at once.
- The replica is read only while it answers and its replay lag is under NEWSROOM_REPLICA_MAX_LAG
  seconds (checked at most once a second per process). A replica error met mid-request is never a
  reader's error: the replica is marked down and the request is answered again from the primary.

``caught_up()`` lets a caller wait for the replica before telling caches to refetch a page, and
``replica_status()`` is for /healthz.
"""

import contextlib
import logging
import math
import threading
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
# The primary's position to compare a replica's replay with: where its WAL has been inserted up to,
# not written up to (pg_current_wal_lsn). With synchronous_commit off a commit returns before its
# record is written, so the written position can lie before a change already committed and a
# replica that reached it may not have that change yet.
PRIMARY_POSITION = "SELECT pg_current_wal_insert_lsn()"
REPLICA = "replica"
# How long a health verdict is trusted, in seconds: one check a second per process at most.
CHECK_INTERVAL = 1.0
POLL_INTERVAL = 0.02
# Looks at a replica that has not yet reached the primary's position, POLL_INTERVAL apart.
SETTLE_LOOKS = 3

# "replica": this context may read the replica; "primary": it must not. Outside a request nothing
# has set it, so the default is the primary.
_reads_from = ContextVar("newsroom_reads_from", default=PRIMARY)


def replica_configured():
    return REPLICA in settings.DATABASES


def max_lag():
    return float(getattr(settings, "NEWSROOM_REPLICA_MAX_LAG", 3))


# -- pinning --------------------------------------------------------------------------------------


@contextlib.contextmanager
def pinned_to_primary():
    """Every read inside reads the primary (writes always do)."""
    token = _reads_from.set(PRIMARY)
    try:
        yield
    finally:
        _reads_from.reset(token)


@contextlib.contextmanager
def replica_reads():
    """Reads inside go to the replica if it is healthy now; the middleware's opt-in. Decided once,
    on entry, for everything inside: a request that read part of a page from the primary and part
    from a replica a second behind could have its page cache store old rows under a new version
    (articles/caching.py reads its version from the database the page is rendered from)."""
    healthy = replica_configured() and _health.current() == "ok"
    token = _reads_from.set(REPLICA if healthy else PRIMARY)
    try:
        yield
    finally:
        _reads_from.reset(token)


# -- health ---------------------------------------------------------------------------------------


class _Health:
    """The process's verdict on the replica, with when it was reached."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = -math.inf
        self.status = "unchecked"  # not "ok": nothing reads the replica before a first look

    def current(self, wait=False):
        """The status, checked again when the verdict is over CHECK_INTERVAL old. While another
        thread is checking, the previous verdict stands (unless ``wait``): no request waits on a
        health check."""
        if time.monotonic() - self.checked_at < CHECK_INTERVAL:
            return self.status
        if not self.lock.acquire(blocking=wait):
            return self.status
        try:
            if time.monotonic() - self.checked_at >= CHECK_INTERVAL:
                self.status = _check()
                self.checked_at = time.monotonic()
            return self.status
        finally:
            self.lock.release()

    def mark_unreachable(self):
        self.status = "unreachable"
        self.checked_at = time.monotonic()


_health = _Health()


def _check():
    """One look at the replica: "ok", "lagging" or "unreachable".

    The lag measure. ``now() - pg_last_xact_replay_timestamp()`` alone is wrong on a quiet site: the
    timestamp is that of the last transaction replayed, so after an idle minute it reads "60 s
    behind" on a replica that is fully caught up. So first the positions: a replica whose replay
    position has reached the primary's current WAL position (read first, on the primary) is caught
    up, lag 0, however old its last transaction. Only a replica that has not reached it is measured
    by time, from its last replayed commit: that over-states the lag when the primary was idle
    before the unreplayed write (the lag is counted from before that write), never under-states it,
    so a replica is never used past the limit. (The replica's now() is compared with commit times
    stamped by the primary's clock; servers are expected to keep NTP time.)
    """
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(PRIMARY_POSITION)
            (primary_position,) = cursor.fetchone()
    except DatabaseError:
        # The primary's own trouble is reported by the request that meets it; no verdict on the
        # replica can be reached without it, and a reader must not be sent to an unmeasured copy.
        return "unreachable"
    try:
        with connections[REPLICA].cursor() as cursor:
            for attempt in range(SETTLE_LOOKS):
                if attempt:
                    time.sleep(POLL_INTERVAL)
                cursor.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn, "
                    "extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
                    [primary_position],
                )
                in_recovery, replayed, seconds_behind = cursor.fetchone()
                # A write committed on the primary a moment ago is usually replayed within
                # milliseconds: looking again spares the over-stated lag below for it.
                if replayed or not in_recovery:
                    break
    except DatabaseError:
        _drop_replica_connection()
        logger.warning("Read replica unreachable; reading from the primary")
        return "unreachable"
    if not in_recovery:
        # A promoted or stand-alone server no longer follows the primary: its rows may differ.
        logger.warning("DATABASE_REPLICA_URL is not a server in recovery; reading from the primary")
        return "unreachable"
    if replayed:
        return "ok"
    if seconds_behind is None or float(seconds_behind) >= max_lag():
        return "lagging"
    return "ok"


def _drop_replica_connection():
    """Close the replica connection after an error it caused, and count that error as handled."""
    replica = connections[REPLICA]
    with contextlib.suppress(DatabaseError):
        replica.close()
    replica.errors_occurred = False


def replica_status():
    """For /healthz: "off" (no replica configured), "ok", "lagging" (replay lag over
    NEWSROOM_REPLICA_MAX_LAG, reads on the primary) or "unreachable". Never raises."""
    if not replica_configured():
        return "off"
    return _health.current(wait=True)


def caught_up(timeout=2.0):
    """True once the replica has replayed everything the primary had written when called (polled
    every 20 ms); True at once when no replica is configured. False when ``timeout`` seconds pass
    first, or when the primary or the replica cannot be asked. Never raises.

    A cache purger calls this before telling a proxy to drop pages, so the proxy's refetch does not
    read the old version from a replica that has not replayed the change yet.
    """
    if not replica_configured():
        return True
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(PRIMARY_POSITION)
            (target,) = cursor.fetchone()
    except DatabaseError:
        return False
    deadline = time.monotonic() + timeout
    try:
        while True:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)
    except DatabaseError:
        _health.mark_unreachable()
        _drop_replica_connection()
        return False


# -- routing ---------------------------------------------------------------------------------------


def _reads_replica():
    if _reads_from.get() != REPLICA or not replica_configured():
        return False
    # A transaction reads what it has written: on the primary. (Health was looked at on entry to
    # replica_reads; a failure since is answered from the primary by the middleware.)
    return not connections[PRIMARY].in_atomic_block


class ReplicaRouter:
    """DATABASE_ROUTERS entry: writes to the primary; reads to the replica where the context allows
    it and the replica is healthy (see the module's docstring)."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reads_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        if _reads_from.get() == REPLICA:
            # Whoever writes reads their write: the rest of this request reads the primary. (The
            # middleware restores its own setting when the request ends.)
            _reads_from.set(PRIMARY)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}:
            return True  # the same rows, one copy behind the other
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# -- requests ---------------------------------------------------------------------------------------

SAFE_METHODS = ("GET", "HEAD")
STAFF_PREFIXES = ("/admin/", "/preview/")


def _reads_primary(request):
    """A request whose reads must see the latest rows: anything that may write, the staff's pages,
    and a signed-in user (the session cookie), who may just have saved something."""
    return (
        request.method not in SAFE_METHODS
        or request.path.startswith(STAFF_PREFIXES)
        or settings.SESSION_COOKIE_NAME in request.COOKIES
    )


def _replica_failed():
    # Django sets errors_occurred on a connection when a database error (not a data or integrity
    # error) passes through it, a failed connect included.
    return connections[REPLICA].errors_occurred


class PrimaryForStaffMiddleware:
    """Turns replica reads on for anonymous safe requests only, and answers again from the primary
    when the replica fails under a request. Above the page cache, which reads its version rows from
    the same database the page is rendered from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured() or _reads_primary(request):
            with pinned_to_primary():
                return self.get_response(request)
        # Django clears this flag between requests only on an open connection: a failed connect
        # would otherwise be counted against the next request too.
        connections[REPLICA].errors_occurred = False
        with replica_reads():
            response = self.get_response(request)
        if _replica_failed():
            # Failed outside the view (a middleware below); Django has made that a 500 page, which
            # no reader gets: the whole request again, on the primary.
            self._replica_down(request)
            with pinned_to_primary():
                return self.get_response(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._replica_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        """A replica failure in the view or its template: the view again, on the primary."""
        view = getattr(request, "_replica_view", None)
        if view is None or not isinstance(exception, DatabaseError) or not replica_configured():
            return None
        if not _replica_failed() or _reads_from.get() != REPLICA:
            return None
        self._replica_down(request)
        view_func, view_args, view_kwargs = view
        with pinned_to_primary():
            response = view_func(request, *view_args, **view_kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
        return response

    def _replica_down(self, request):
        logger.warning("Read replica failed during %s; answered from the primary", request.path)
        _health.mark_unreachable()
        _drop_replica_connection()
