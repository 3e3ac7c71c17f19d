"""A shared cache of anonymous public pages that never shows a stale visibility.

Every cached page is stored under the current *content version*, a counter kept in the shared
cache (Redis). Any change to what readers can see (an article, its tags, bylines or corrections,
a section, tag or author) bumps the counter, so every server process stops using the old pages at
once; they simply expire. Scheduled articles go live without any write: the cache also holds the
next scheduled publication time, and the first request after it bumps the counter.

Pages are cached only with a shared cache (REDIS_URL): with per-process local memory, two workers
could disagree about what is public, so nothing is cached there. If Redis is unreachable the site
serves every page uncached and logs it.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

VERSION_KEY = "newsroom:content-version"
HORIZON_KEY = "newsroom:publish-horizon"  # the next scheduled publication (epoch seconds), or 0
NO_HORIZON = 0.0
# Paths never cached: the editors' workspace, signed previews, the health check.
UNCACHED_PREFIXES = ("/admin/", "/preview/", "/healthz")
_ERROR_LOG_INTERVAL = 60.0
_last_error_logged = 0.0


def page_cache_enabled():
    return settings.NEWSROOM_PAGE_CACHE


def _cache():
    return caches["default"]


def _cache_errors():
    """The exceptions that mean "the cache server is unreachable"."""
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        return (ConnectionError, TimeoutError)
    return (RedisError, ConnectionError, TimeoutError)


def _log_cache_down(error):
    global _last_error_logged
    now = time.monotonic()
    if now - _last_error_logged > _ERROR_LOG_INTERVAL:
        _last_error_logged = now
        logger.error("Page cache unreachable, serving uncached: %s", error)


def content_changed(**kwargs):
    """Make every cached page stale, once the current transaction commits. Safe to call often."""
    if page_cache_enabled():
        transaction.on_commit(_bump_version)


def _bump_version():
    cache = _cache()
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet (first change, or evicted)
            cache.set(VERSION_KEY, 1, timeout=None)
        cache.delete(HORIZON_KEY)  # the change may have scheduled or unscheduled something
    except _cache_errors() as error:
        _log_cache_down(error)


def _next_publication():
    from articles.models import Article

    upcoming = Article.objects.scheduled().order_by("published_at").values_list("published_at", flat=True)
    moment = upcoming.first()
    return moment.timestamp() if moment else NO_HORIZON


def current_version():
    """The content version pages are cached under now; a scheduled publication that has come due
    bumps it. Raises the cache's connection error when the cache is down."""
    cache = _cache()
    values = cache.get_many([VERSION_KEY, HORIZON_KEY])
    version = values.get(VERSION_KEY)
    if version is None:
        version = 1
        cache.add(VERSION_KEY, version, timeout=None)
    horizon = values.get(HORIZON_KEY)
    if horizon is None:
        horizon = _next_publication()
        cache.set(HORIZON_KEY, horizon, timeout=None)
    if horizon != NO_HORIZON and time.time() >= horizon:
        # A scheduled article is now public: retire every page, then look ahead again.
        try:
            version = cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, version + 1, timeout=None)
            version += 1
        cache.set(HORIZON_KEY, _next_publication(), timeout=None)
    return version


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(UNCACHED_PREFIXES)
        # A session cookie may mean a signed-in editor: their pages are never shared.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _cacheable_response(response):
    return (
        response.status_code in (200, 301, 404)
        and not response.cookies
        and not getattr(response, "streaming", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


class PageCacheMiddleware:
    """Serve anonymous public pages from the shared cache, keyed by URL and content version."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (page_cache_enabled() and _cacheable_request(request)):
            return self.get_response(request)
        cache = _cache()
        try:
            key = f"newsroom:page:{current_version()}:{request.get_full_path()}"
            cached = cache.get(key)
        except _cache_errors() as error:
            _log_cache_down(error)
            return self.get_response(request)
        if cached is not None:
            cached["X-Cache"] = "hit"
            return cached
        response = self.get_response(request)
        if _cacheable_response(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            patch_vary_headers(response, ["Cookie"])
            try:
                cache.set(key, response, timeout=settings.NEWSROOM_PAGE_CACHE_SECONDS)
            except _cache_errors() as error:
                _log_cache_down(error)
            response["X-Cache"] = "miss"
        return response


def cache_status():
    """For /healthz: "ok", "unreachable", or "off" (no shared cache configured)."""
    if not page_cache_enabled():
        return "off"
    try:
        _cache().get(VERSION_KEY)
    except _cache_errors():
        return "unreachable"
    return "ok"
