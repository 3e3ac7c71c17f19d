"""A shared cache of anonymous public pages that never shows a stale visibility.

Every cached page is stored under the current *content version*, a counter kept in the shared
cache (Redis). Any change to what readers can see (a published or scheduled article, its tags,
bylines or corrections, a section, tag or author; a deploy's migrate) bumps the counter, so every
server process stops using the old pages at once; they simply expire. Work on drafts and stories
in review changes nothing a reader sees, and bumps nothing. Scheduled articles go live without any
write: the cache also holds the next scheduled publication time, and the first request after it
bumps the counter.

The middleware sits at the top of the stack, so a hit costs one Redis read and nothing else: the
page is stored as the stack below finally produced it (gzipped or not, with every header), as plain
data. Conditional requests are answered from the stored ETag.

Pages are cached only with a shared cache (REDIS_URL): with per-process local memory, two workers
could disagree about what is public, so nothing is cached there. If Redis is unreachable the site
serves every page uncached and logs it.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient
from django.db import transaction
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe

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


# The field by which each part of an article (taggings, bylines, corrections, old slugs) names it.
_ARTICLE_FIELD = {
    "TaggedArticle": "content_object_id",
    "ArticleAuthor": "article_id",
    "Correction": "article_id",
    "SlugRedirect": "article_id",
}


def _stays_off_public(article, created):
    """True when ``article`` was, and still is, a draft or in review: on no public surface, so its
    saves retire nothing. A desk's day is mostly such saves. When its stored status is not known
    (an instance not read from the database), assume it was public."""
    from articles.models import Status

    # Only a published article (scheduled ones included) is ever on a public surface.
    before = None if created else getattr(article, "_stored_status", Status.PUBLISHED)
    return article.status != Status.PUBLISHED and before != Status.PUBLISHED


def article_changed(sender, instance, created=False, **kwargs):
    """post_save / post_delete of an Article."""
    if not _stays_off_public(instance, created):
        content_changed()


def article_part_changed(sender, instance, **kwargs):
    """post_save / post_delete of a tagging, byline, correction or old slug."""
    from articles.models import Article, Status

    article_id = getattr(instance, _ARTICLE_FIELD[sender.__name__])
    if Article.objects.filter(pk=article_id, status=Status.PUBLISHED).exists():
        content_changed()


def _start_version(cache):
    """A new counter starts at the clock in microseconds, not at 1: should Redis evict or lose the
    counter, the new one is past every version a page was stored under, so no old page comes back."""
    version = time.time_ns() // 1000
    if not cache.add(VERSION_KEY, version, timeout=None):
        version = cache.get(VERSION_KEY) or version  # another process started it first
    return version


def _bump_version():
    cache = _cache()
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet (first change, or evicted)
            _start_version(cache)
        cache.delete(HORIZON_KEY)  # the change may have scheduled or unscheduled something
    except _cache_errors() as error:
        _log_cache_down(error)


def _next_publication():
    from articles.models import Article

    upcoming = Article.objects.scheduled().order_by("published_at").values_list("published_at", flat=True)
    moment = upcoming.first()
    return moment.timestamp() if moment else NO_HORIZON


def _settle_version(cache, values):
    """The content version from a read of VERSION_KEY and HORIZON_KEY; a scheduled publication that
    has come due bumps it."""
    version = values.get(VERSION_KEY)
    if version is None:
        version = _start_version(cache)
    horizon = values.get(HORIZON_KEY)
    if horizon is None:
        horizon = _next_publication()
        cache.set(HORIZON_KEY, horizon, timeout=None)
    if horizon != NO_HORIZON and time.time() >= horizon:
        # A scheduled article is now public: retire every page, then look ahead again.
        try:
            version = cache.incr(VERSION_KEY)
        except ValueError:
            version = _start_version(cache)
        cache.set(HORIZON_KEY, _next_publication(), timeout=None)
    return version


def current_version():
    """The content version pages are cached under now; a scheduled publication that has come due
    bumps it. Raises the cache's connection error when the cache is down."""
    cache = _cache()
    return _settle_version(cache, cache.get_many([VERSION_KEY, HORIZON_KEY]))


# The version this process last saw. A guess only: a page read under it is used only when the same
# read (one MGET, atomic in Redis) shows the counter still at that value.
_seen_version = None


def _read_many(cache, keys):
    """cache.get_many(keys), without one cost of Django's Redis backend: it builds a new redis-py
    client for every call (two dicts of every command's callback, a fifth of a cached page's time).
    Each backend here keeps one client for reads; redis-py clients are safe to share."""
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient):
        return cache.get_many(keys)
    reader = backend.__dict__.get("_newsroom_reader")
    if reader is None:
        reader = backend._newsroom_reader = backend.get_client()
    values = reader.mget([cache.make_key(key) for key in keys])
    loads = backend._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


def _page_key(version, variant, path):
    return f"newsroom:page:{version}:{variant}:{path}"


def _find_page(cache, variant, path):
    """The current key for this page and what is stored under it (or None).

    One round trip while the content version stays put: the version, the horizon and the page
    under the version seen last are read together. After a change, a second read fetches the
    page under the new version."""
    global _seen_version
    guess = _seen_version
    keys = [VERSION_KEY, HORIZON_KEY]
    if guess is not None:
        keys.append(_page_key(guess, variant, path))
    values = _read_many(cache, keys)
    version = _settle_version(cache, values)
    _seen_version = version
    key = _page_key(version, variant, path)
    if guess == version and values.get(VERSION_KEY) == version:
        return key, values.get(key)
    return key, cache.get(key)


# Conditions a cached page can answer (a 304); If-Match and If-Unmodified-Since (412) are left to
# the full stack, as are all other methods.
_REVALIDATION = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(UNCACHED_PREFIXES)
        # A session cookie may mean a signed-in editor: their pages are never shared.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_IF_MATCH" not in request.META
        and "HTTP_IF_UNMODIFIED_SINCE" not in request.META
    )


def _cacheable_response(response):
    return (
        response.status_code in (200, 301, 404)
        and not response.cookies
        and not getattr(response, "streaming", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def _conditional(request, response):
    """Answer If-None-Match / If-Modified-Since as ConditionalGetMiddleware would."""
    etag = response.get("ETag")
    last_modified = parse_http_date_safe(response.get("Last-Modified", "")) or None
    if etag or last_modified:
        return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
    return response


class PageCacheMiddleware:
    """Serve anonymous public pages from the shared cache, keyed by content version, encoding and URL.

    It sits at the top of the stack, right below SecurityMiddleware and WhiteNoise: a hit is one
    Redis read and skips every middleware below. A miss runs the whole stack, and the final response
    (compressed, with its CSP, ETag, Vary and Cache-Control headers) is stored as plain data: status,
    headers, body. Clients that accept gzip and those that do not get separate entries, decided as
    Django's GZipMiddleware decides, so an identity client never receives a gzipped body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (page_cache_enabled() and _cacheable_request(request)):
            return self.get_response(request)
        # A Host outside ALLOWED_HOSTS is refused (400) here, as CommonMiddleware would below.
        request.get_host()
        variant = "gz" if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "id"
        cache = _cache()
        try:
            key, stored = _find_page(cache, variant, request.get_full_path())
        except _cache_errors() as error:
            _log_cache_down(error)
            return self.get_response(request)
        if stored is not None:
            status, headers, body = stored
            response = HttpResponse(b"" if request.method == "HEAD" else body, status=status, headers=headers)
            response.headers["X-Cache"] = "hit"
            if any(name in request.META for name in _REVALIDATION):
                return _conditional(request, response)
            return response
        if request.method != "GET":
            # HEAD has no ETag below (ConditionalGetMiddleware skips it): serve it, store nothing.
            return self.get_response(request)
        # Ask the stack for the full page even when the client holds a copy, so a revalidating
        # reader still fills the cache; its 304 is worked out here instead.
        conditions = {name: request.META.pop(name) for name in _REVALIDATION if name in request.META}
        try:
            response = self.get_response(request)
        finally:
            request.META.update(conditions)
        if _cacheable_response(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            patch_vary_headers(response, ["Cookie"])
            try:
                cache.set(
                    key,
                    (response.status_code, list(response.items()), response.content),
                    timeout=settings.NEWSROOM_PAGE_CACHE_SECONDS,
                )
            except _cache_errors() as error:
                _log_cache_down(error)
            response.headers["X-Cache"] = "miss"
        if conditions:
            return _conditional(request, response)
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
