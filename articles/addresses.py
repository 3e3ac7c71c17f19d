"""Public addresses of sections, authors, tags and articles, built without a full ``reverse()``.

A list page links each card to its article, section, authors and topics: some 150 links. Django's
``reverse()`` costs more per call than the rest of a card, so each route is reversed once (per
URL prefix) with a placeholder and the slug is put in its place. Same addresses, same URLconf.
"""

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

_PLACEHOLDER = "slug-placeholder"


@lru_cache(maxsize=64)
def _route_with_slug(route, prefix):
    return reverse(route, kwargs={"slug": _PLACEHOLDER}).split(_PLACEHOLDER)


def slug_address(route, slug):
    """What ``reverse(route, kwargs={"slug": slug})`` returns, for routes taking one slug."""
    before, after = _route_with_slug(route, get_script_prefix())
    return f"{before}{quote(slug, safe='')}{after}"


@receiver(setting_changed)
def _forget_routes(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _route_with_slug.cache_clear()


def absolute_url(path="/"):
    """``path`` on the site's canonical origin (``NEWSROOM_SITE_URL``), for pages, feeds, sitemaps,
    structured data and the API alike. Never built from the request: its Host header is the
    client's to choose, and a page stored in the shared cache would carry it to every reader."""
    return f"{settings.NEWSROOM_SITE_URL}{path}"


def absolute_media(url):
    """A stored file's address (a picture's rendition) as a full URL: a bucket's already is one;
    the filesystem's is a path on the site, under ``NEWSROOM_SITE_URL`` like every other."""
    if url.startswith(("https://", "http://")):
        return url
    return absolute_url(url)
