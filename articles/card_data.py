"""A story's card data as stored in ``Article.card``, and read back as pages use it.

The shape is this module's; working it out from the tables and keeping it current is articles/cards.py.
Models read cards through here, so this module imports no model.
"""

from datetime import UTC

from django.utils.dateparse import parse_datetime

from articles.addresses import slug_address
from articles.pictures import Picture, Version

# Bumped when the shape changes: an older card is then worked out again, as a missing one is.
CARD_VERSION = 1


class Named:
    """An author or a tag as a card names it: enough to print and link it, without its row. It is
    equal to the Author or Tag it stands for, as model instances are to each other."""

    __slots__ = ("pk", "slug", "name", "kind")

    def __init__(self, pk, slug, name, kind):
        self.pk, self.slug, self.name, self.kind = pk, slug, name, kind

    @property
    def id(self):
        return self.pk

    def get_absolute_url(self):
        return slug_address(f"articles:{self.kind}", self.slug)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<{self.kind.title()}: {self.name}>"

    def _identity(self):
        return (self.kind, self.pk)

    def __eq__(self, other):
        if isinstance(other, Named):
            return self._identity() == other._identity()
        meta = getattr(other, "_meta", None)
        return meta is not None and (meta.model_name, other.pk) == self._identity()

    def __hash__(self):
        return hash(self._identity())


class CardCorrection:
    __slots__ = ("date", "text")

    def __init__(self, date, text):
        self.date, self.text = date, text


def authors_of(card):
    return [Named(pk, slug, name, "author") for pk, slug, name in card["authors"]]


def topics_of(card):
    return [Named(pk, slug, name, "tag") for pk, slug, name in card["topics"]]


def corrections_of(card):
    return [CardCorrection(parse_datetime(date), text) for date, text in card["corrections"]]


def picture_of(card):
    data = card["picture"]
    if data is None:
        return None
    versions = tuple(Version(*fields) for fields in data["versions"])
    texts = {key: data[key] for key in ("id", "alt", "caption", "credit", "width", "height")}
    return Picture(**texts, versions=versions)


def picture_data(picture):
    if picture is None:
        return None
    return {
        "id": picture.id,
        "alt": picture.alt,
        "caption": picture.caption,
        "credit": picture.credit,
        "width": picture.width,
        "height": picture.height,
        "versions": [[v.url, v.width, v.height, v.format, v.ratio, v.size] for v in picture.versions],
    }


def current(card):
    """Whether ``card`` (a stored value, maybe None) is one this code reads."""
    return bool(card) and card.get("v") == CARD_VERSION


def utc_text(moment):
    return moment.astimezone(UTC).isoformat()


def card_for(authors, tags, corrections):
    """The card of a story with these ``authors`` (in byline order), ``tags`` and ``corrections``
    (``(date, text)`` pairs) and no lead picture, from values in hand: bulk imports build it with
    the story, and so write it with no query of its own."""
    return {
        "v": CARD_VERSION,
        "authors": [[a.pk, a.slug, a.name] for a in authors],
        "topics": sorted(([t.pk, t.slug, t.name] for t in tags), key=lambda tag: tag[2].lower()),
        "corrections": sorted(([utc_text(date), text] for date, text in corrections), key=lambda c: c[0]),
        "picture": None,
    }
