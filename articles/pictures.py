"""Pictures on a story's surfaces, through a source another app registers (photos does).

Articles never imports the picture library (DESIGN.md, Layout). It asks the registered *picture
source* for the lead pictures of a batch of stories, in one query however many stories and pictures
there are, and renders what comes back: a ``Picture`` with what readers are told about it (alt text,
caption, credit) and its stored versions by ratio, width and format. Without a source registered,
stories simply have no pictures.

The contract between the two apps is this module: ratios are "16x9", "4x3", "1x1" (or None for the
picture's own shape), formats "avif", "webp" and "jpeg".
"""

from dataclasses import dataclass, field
from typing import Protocol

MIME_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
# Newest format first: a browser takes the first <source> it can decode; JPEG is the <img> fallback.
SOURCE_FORMATS = ("avif", "webp")
# The crops search engines and share cards want for a story's picture.
SHARE_RATIOS = ("16x9", "4x3", "1x1")


@dataclass(frozen=True)
class Version:
    """One stored file of a picture: its address, size in pixels and bytes, format and crop."""

    url: str
    width: int
    height: int
    format: str
    ratio: str | None
    size: int = 0

    @property
    def mime_type(self):
        return MIME_TYPES[self.format]


@dataclass(frozen=True)
class Picture:
    """A picture as a story shows it: what readers are told about it, and its stored versions."""

    id: int
    alt: str
    caption: str
    credit: str
    width: int
    height: int
    versions: tuple[Version, ...] = field(default=(), repr=False)

    def in_shape(self, ratio, fmt="jpeg"):
        """The versions cut to ``ratio`` in ``fmt``, narrowest first."""
        found = [v for v in self.versions if v.ratio == ratio and v.format == fmt]
        return sorted(found, key=lambda v: v.width)

    def has(self, ratio):
        return bool(self.in_shape(ratio))

    def srcset(self, ratio, fmt):
        return ", ".join(f"{v.url} {v.width}w" for v in self.in_shape(ratio, fmt))

    def sources(self, ratio):
        """``(mime type, srcset)`` for each modern format stored in ``ratio``, for <source>."""
        stored = [fmt for fmt in SOURCE_FORMATS if self.in_shape(ratio, fmt)]
        return [(MIME_TYPES[fmt], self.srcset(ratio, fmt)) for fmt in stored]

    def fallback(self, ratio, width):
        """The JPEG in ``ratio`` at least ``width`` px wide (the widest there is otherwise): the
        <img src> for browsers that read no srcset, and the file a feed or share card points at."""
        versions = self.in_shape(ratio)
        if not versions:
            return None
        return next((v for v in versions if v.width >= width), versions[-1])

    def largest(self, ratio):
        versions = self.in_shape(ratio)
        return versions[-1] if versions else None

    def share_versions(self):
        """The widest JPEG in each of the share ratios: JSON-LD ``image`` and ``og:image``."""
        return [v for v in (self.largest(ratio) for ratio in SHARE_RATIOS) if v]


class PictureSource(Protocol):
    def lead_pictures(self, article_ids, ratios):
        """``{article id: Picture}`` for the stories among ``article_ids`` that lead with a picture,
        with versions in ``ratios``; a fixed number of queries."""

    def pictures(self, picture_ids, ratios):
        """``{picture id: Picture}`` for pictures named in a story's body (``photo:ID``)."""

    def largest_lead_images(self, article_ids, ratio, fmt="jpeg"):
        """``{article id: url}``: the widest stored ``fmt`` version in ``ratio`` of each story's lead
        picture, one query; for lists too long to build a ``Picture`` per story (a sitemap page).
        ``article_ids`` is a list or a query of ids (``values("pk")``)."""


_sources: list[PictureSource] = []


def register_source(source):
    """Let ``source`` supply pictures; the last registered wins (a test may swap in its own)."""
    _sources.append(source)


def unregister_source(source):
    _sources.remove(source)


def _source():
    return _sources[-1] if _sources else None


def lead_pictures_from_source(article_ids, ratios):
    """``{article id: Picture}`` straight from the registered source: one query."""
    source = _source()
    return source.lead_pictures(article_ids, ratios) if source and article_ids else {}


def attach_lead_pictures(articles, ratios):
    """Give each of ``articles`` its ``lead_picture`` (or None), fetched together: a page of cards
    costs the same queries whether none, one or all of its stories have a picture. A story whose
    card is current (articles/cards.py) carries its picture already and costs none."""
    articles = [a for a in articles if a is not None]
    wanted = [a for a in articles if not a.card_is_current]
    found = lead_pictures_from_source([a.pk for a in wanted], ratios)
    for article in wanted:
        article.__dict__["lead_picture"] = found.get(article.pk)
    return articles


def largest_lead_images(article_ids, ratio):
    """``{article id: url}`` of the widest JPEG in ``ratio`` of each story's lead picture;
    ``article_ids`` a list or a query of ids."""
    source = _source()
    return source.largest_lead_images(article_ids, ratio) if source else {}


def lead_picture_of(article, ratios=SHARE_RATIOS):
    source = _source()
    if source is None or article.pk is None:
        return None
    return source.lead_pictures([article.pk], ratios).get(article.pk)


def pictures_by_id(picture_ids, ratios=(None,)):
    source = _source()
    if source is None or not picture_ids:
        return {}
    return source.pictures(list(picture_ids), ratios)
