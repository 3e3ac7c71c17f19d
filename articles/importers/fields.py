"""The article fields that Markdown front matter and our JSON format share, checked in one place.

Both formats name the same fields (``KEYS``, in the order an export writes them); JSON adds
``body``. ``IMAGE_KEYS`` name the story's lead picture: a file beside the article (its path relative
to the article's file, never leading out of that folder) and what readers are told about it. A
parser turns its file into ``Located`` mappings (plain values plus the line of each key) and
``article_record()`` checks them, so a wrong type, a bad date or an unknown status gets the
same message, with its line, whichever format it came in.
"""

import re
from datetime import datetime
from pathlib import PurePosixPath

from articles.importers import (
    ArticleRecord,
    CorrectionRecord,
    ImportProblem,
    PictureRef,
    refuse_control_characters,
)
from articles.models import Status
from articles.slugs import is_slug

# The lead picture: the file, then its alt text, caption and credit (alt text and credit required
# with a file). An export writes them only for a story that leads with a picture.
IMAGE_KEYS = ("image", "image_alt", "image_caption", "image_credit")
# The time a story may not go out before; an export writes it only for a story that has one.
EMBARGO_KEYS = ("embargoed_until",)
# In the order an export writes them. Only title is required.
KEYS = (
    "title",
    "slug",
    "dek",
    "section",
    "authors",
    "tags",
    "dateline",
    "status",
    "published_at",
    *EMBARGO_KEYS,
    "updated_at",
    "featured",
    "source_name",
    "source_id",
    "corrections",
    *IMAGE_KEYS,
)
CORRECTION_KEYS = ("date", "text")
DATE_EXAMPLE = "2023-06-18T09:30:00+08:00"
# What a key's value is called in a message, when not the key itself ("source id").
_LABELS = {"title": "headline", "authors": "author name", "tags": "tag", "image_alt": "image alt text"}
# An address, not a file: "https://…", "ftp://…".
_ADDRESS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# An absolute path on any system: "/srv/a.jpg", "C:\\a.jpg", "\\\\server\\a.jpg".
_ABSOLUTE = re.compile(r"^(?:/|\\|[A-Za-z]:)")


class Located(dict):
    """A mapping read from a file that remembers where it was: ``line`` is where it starts, and
    ``key_lines`` the line of each key."""

    def __init__(self, *args, line=1, key_lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines = key_lines or {}

    def line_of(self, key):
        return self.key_lines.get(key, self.line)


def article_record(
    path, fields, *, source_name, default_source_id, legacy_source_id=None, extra_keys=(), body=""
):
    """Return the ``ArticleRecord`` for the ``Located`` mapping ``fields`` read from ``path``.

    ``source_name`` and ``default_source_id`` apply when the fields name no ``source_name`` and
    ``source_id`` (``legacy_source_id`` is then what an import before issue 12 used);
    ``extra_keys`` are keys the format adds (JSON's ``body``, checked by the caller).
    Raises ``ImportProblem`` at the line of the first key that is unknown, missing or wrong, or
    whose text holds a control character.
    """
    known = (*KEYS, *extra_keys)
    for key in fields:
        if key not in known:
            raise ImportProblem(
                path, fields.line_of(key), f"unknown key '{key}'; the keys are: {', '.join(known)}"
            )
    for line, what, text in _texts(fields):
        refuse_control_characters(path, line, what, text)
    get = _Fields(path, fields)
    title = get.text("title")
    if not title:
        raise ImportProblem(path, fields.line_of("title"), "no title; every article needs one")
    slug = get.text("slug") or None
    if slug is not None and not is_slug(slug):
        raise ImportProblem(
            path,
            fields.line_of("slug"),
            f"slug '{slug}' may hold only letters a-z, digits, hyphens and underscores",
        )
    status = get.text("status") or None
    if status is not None and status not in Status.values:
        raise ImportProblem(
            path,
            fields.line_of("status"),
            f"unknown status '{status}'; use one of: {', '.join(Status.values)}",
        )
    source_id = get.text("source_id", numbers=True) or None
    return ArticleRecord(
        path=path,
        source_name=get.text("source_name") or source_name,
        source_id=source_id or default_source_id,
        source_id_given=source_id is not None,
        legacy_source_id=None if source_id is not None else legacy_source_id,
        headline=title,
        body=body,
        dek=get.text("dek") or "",
        headline_line=fields.line_of("title"),
        section=get.text("section") or None,
        authors=get.names("authors"),
        tags=get.names("tags"),
        dateline=get.text("dateline"),
        status=status,
        published_at=get.moment("published_at"),
        embargoed_until=get.moment("embargoed_until"),
        updated_at=get.moment("updated_at"),
        slug=slug,
        featured=get.flag("featured"),
        corrections=get.corrections("corrections"),
        image=get.picture(),
        line=fields.line,
        lines={**{key: fields.line_of(key) for key in fields}, "headline": fields.line_of("title")},
    )


def label(key):
    """Return what the value of ``key`` is called in a message: "headline" for title, "tag"…"""
    return _LABELS.get(key, key.replace("_", " "))


def _texts(fields):
    """Yield (line, label, text) for every text in ``fields``, as written: before it is stripped,
    as Python counts a vertical tab as a space."""
    for key, value in fields.items():
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, start=1):
            if isinstance(item, str):
                yield fields.line_of(key), label(key), item
            elif isinstance(item, Located):
                what = f"correction {number}" if key == "corrections" else label(key)
                for inner_key, inner in item.items():
                    if isinstance(inner, str):
                        yield item.line_of(inner_key), what, inner


def describe(value):
    """Return what ``value`` is, in words for a message: "a number", "a list"…"""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a set of keys"


def parse_moment(text):
    """Return ``text`` as an aware datetime, or None when it is not ISO 8601 with a UTC offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class _Fields:
    """Typed reads of one mapping's keys; each raises ``ImportProblem`` at the key's line."""

    def __init__(self, path, fields):
        self.path, self.fields = path, fields

    def _problem(self, key, reason, fields=None):
        fields = self.fields if fields is None else fields
        return ImportProblem(self.path, fields.line_of(key), reason)

    def text(self, key, *, numbers=False, fields=None):
        fields = self.fields if fields is None else fields
        value = fields.get(key)
        if value is None:
            return None
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            hint = "; put it in quotes" if isinstance(value, bool) else ""
            raise self._problem(key, f"{key} must be text, not {describe(value)}{hint}", fields)
        return value.strip()

    def names(self, key):
        value = self.fields.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._problem(key, f"{key} must be a list of names, not {describe(value)}")
        for number, name in enumerate(value, start=1):
            if not isinstance(name, str):
                raise self._problem(key, f"{key}: item {number} must be a name, not {describe(name)}")
        return [name.strip() for name in value]

    def moment(self, key, fields=None):
        fields = self.fields if fields is None else fields
        text = self.text(key, fields=fields)
        if not text:
            return None
        moment = parse_moment(text)
        if moment is None:
            raise self._problem(
                key,
                f"{key} '{text}' is not an ISO 8601 date and time with a UTC offset; "
                f"write it like {DATE_EXAMPLE}",
                fields,
            )
        return moment

    def flag(self, key):
        value = self.fields.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self._problem(key, f"{key} must be true or false, not {describe(value)}")

    def picture(self):
        """The ``PictureRef`` of the lead picture the fields name, or None when they name none.

        The path is relative to the article's file and may not lead out of its folder: an import
        reads only what sits beside the articles it was given. Whether the file is there and is a
        picture, and whether the library takes its texts, is checked when the article is planned.
        """
        named = self.text("image")
        texts = {name: self.text(f"image_{name}") or "" for name in ("alt", "caption", "credit")}
        if not named:
            given = next((f"image_{name}" for name, text in texts.items() if text), None)
            if given is not None:
                raise self._problem(
                    given, f"{given} but no image: name the picture file, e.g. image: images/envoy.jpg"
                )
            return None
        if _ADDRESS.match(named):
            raise self._problem(
                "image",
                f"image '{named}' is an address; name a picture file beside the article "
                "(nothing is downloaded)",
            )
        relative = named.replace("\\", "/")
        if _ABSOLUTE.match(named):
            raise self._problem(
                "image",
                f"image '{named}' is an absolute path; give the picture's path from the article's "
                "folder, e.g. images/envoy.jpg",
            )
        if ".." in PurePosixPath(relative).parts:
            raise self._problem(
                "image",
                f"image '{named}' leads out of the article's folder ('..'); put the picture in that "
                "folder or one below it",
            )
        folder = self.path.parent
        key_lines = self.fields.key_lines
        return PictureRef(
            file=folder.joinpath(*PurePosixPath(relative).parts),
            folder=folder,
            label=f"image '{named}'",
            line=self.fields.line_of("image"),
            lines={name: key_lines[f"image_{name}"] for name in texts if f"image_{name}" in key_lines},
            **texts,
        )

    def corrections(self, key):
        value = self.fields.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._problem(key, f"{key} must be a list of corrections, each with a date and a text")
        corrections = []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, Located):
                raise self._problem(
                    key, f"correction {number} must have a date and a text, not be {describe(item)}"
                )
            for name in item:
                if name not in CORRECTION_KEYS:
                    raise self._problem(
                        name, f"correction {number}: unknown key '{name}'; the keys are: date, text", item
                    )
            for name in CORRECTION_KEYS:
                if item.get(name) in (None, ""):
                    raise self._problem(name, f"correction {number} has no {name}", item)
            text = self.text("text", fields=item)
            if not text:
                raise self._problem("text", f"correction {number} has no text", item)
            corrections.append(
                CorrectionRecord(date=self.moment("date", fields=item), text=text, line=item.line_of("text"))
            )
        return corrections
