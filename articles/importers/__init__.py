"""Parsers for the import formats, one module per format, chosen by file extension.

A parser turns one file's text into an ``ArticleRecord``: what the file itself says, before the
command-line options are applied and before anything touches the database (``articles.importing``
does both). Bad input raises ``ImportProblem`` with the path, the line and a plain reason.

To add a format, write ``articles/importers/<name>.py`` with ``parse(path, text, name)`` (``name``:
the file's identity, ``articles.import_sources``) returning an ``ArticleRecord`` (or a
``ParsedFile`` for a file that holds several articles) and point its extension at it in
``FORMATS`` below. ``articles.importers.fields`` checks the article fields that
the Markdown front matter and the JSON format share.
"""

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from articles.plain_text import first_control_character

# Checked with stat() before a file is read, so a stray video or database dump costs nothing.
MAX_FILE_BYTES = 5 * 1024 * 1024

# What a terminal would act on rather than show: C0 and C1 controls and DEL, and the lone
# surrogates that stand for bytes of a file name that are not UTF-8 (os.fsdecode's
# surrogateescape). Escaped, a file named "a\nb.txt" prints on one line.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text):
    """Return ``text`` with control characters and undecodable file-name bytes escaped
    (``\\n``, ``\\x1b``, ``\\xff``), so one message is one line and the terminal is left alone."""
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(match):
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


@dataclass(frozen=True)
class Notice:
    """A message about one place in one file: a problem that stops its import, or a warning.

    ``line`` counts from 1; it is 1 when the message is about the file (or folder) as a whole.
    """

    path: Path
    line: int
    reason: str

    def __str__(self):
        return printable(f"{self.path}:{self.line}: {self.reason}")


class ImportProblem(Exception):
    """Bad input in one file: ``path:line: reason``. Never a bug in our code."""

    def __init__(self, path, line, reason):
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason

    def as_notice(self):
        return Notice(self.path, self.line, self.reason)


def refuse_control_characters(path, line, what, text):
    """Raise ``ImportProblem`` at ``line`` when ``text`` (the ``what`` of an article: "headline",
    "tag"…) holds a character no stored text may hold (``control_character_problem``). Refused
    rather than cleaned: a vertical tab in a headline breaks every feed it is in, PostgreSQL
    refuses a NUL, a surrogate cannot be written at all, and quietly dropping one changes what the
    file says."""
    if reason := control_character_problem(text):
        raise ImportProblem(path, line, f"{what} {reason}")


def control_character_problem(text):
    """Return "contains a control character (U+000B)" (or "a lone surrogate") for the first
    character of ``text`` that ``articles.plain_text`` forbids, or None when it is clean."""
    code = first_control_character(text)
    if code is None:
        return None
    kind = "a lone surrogate" if int(code[2:], 16) >= 0xD800 else "a control character"
    return f"contains {kind} ({code})"


def line_at(text, index):
    """Return the line (from 1) of ``text`` that character ``index`` is on."""
    return text.count("\n", 0, index) + 1


@dataclass(frozen=True)
class CorrectionRecord:
    """A correction as a file gives it: when it was made and what it says."""

    date: datetime
    text: str
    # Where its text is in the file; 0 when the format does not say.
    line: int = 0


# What a picture in a body stands as until the import's write phase knows its id in the library:
# ``![alt](photo:new "caption")``, at an offset the record keeps (``BodyPicture``).
PHOTO_PLACEHOLDER = "photo:new"


@dataclass(frozen=True)
class PictureRef:
    """A picture file an article names, before it is read: the file (which must stay inside
    ``folder``), what readers are told about it, and where the article names it (``line``, and the
    line of each text by its name in ``articles.picture_files.TEXTS``)."""

    file: Path
    folder: Path
    # How a message names it: "image 'images/a.jpg'", "post 101: featured image '2023/06/a.jpg'".
    label: str
    alt: str
    caption: str
    credit: str
    line: int
    lines: dict = field(default_factory=dict, hash=False, compare=False)

    def line_of(self, text):
        return self.lines.get(text, self.line)


@dataclass(frozen=True)
class BodyPicture:
    """A picture a body shows: the file, and where ``PHOTO_PLACEHOLDER`` stands for it in the body."""

    offset: int
    ref: PictureRef


@dataclass
class ArticleRecord:
    """One article as a file gives it: plain values, no database objects.

    Fields left as ``None`` were not in the file; the import fills them from the command-line
    options or the defaults, or, for an article made earlier, leaves what it has. Plain text carries
    only headline, dek and body; Markdown, JSON and WordPress exports carry more.
    """

    path: Path
    source_name: str
    source_id: str
    headline: str
    body: str
    dek: str = ""
    headline_line: int = 1
    section: str | None = None
    authors: list[str] | None = None
    tags: list[str] | None = None
    dateline: str | None = None
    status: str | None = None
    published_at: datetime | None = None
    # Not to go out before then. None: the file names no embargo, and an article made earlier keeps
    # its own (an import never lifts an embargo; an editor does, in the admin).
    embargoed_until: datetime | None = None
    # Only what the file says; None lets the import choose (a slug from the headline for a new
    # article, the one it has for an article made earlier).
    slug: str | None = None
    featured: bool | None = None
    updated_at: datetime | None = None
    # None: the format has no corrections, so an article's own are left alone. A list (even an
    # empty one) replaces them.
    corrections: list[CorrectionRecord] | None = None
    # Set when the headline had to be made up: an editor must see the story before it goes out.
    keep_as_draft: bool = False
    warnings: list[Notice] = field(default_factory=list)
    # Where the article starts in its file, and where each of its fields is (by field name), so a
    # message about the section of the third article in a JSON list names the section's line.
    line: int = 1
    lines: dict[str, int] = field(default_factory=dict)
    # False when the source id is the file's path, not a value written in the file.
    source_id_given: bool = False
    # The source id an import before issue 12 gave this article, when the file names none: its
    # file name without the extension. Lets a re-import find what an older version made.
    legacy_source_id: str | None = None
    # The lead picture the file names (None: the story's own is left alone), and the pictures in
    # its body, each where PHOTO_PLACEHOLDER stands for it, in the body's order.
    image: PictureRef | None = None
    body_pictures: list[BodyPicture] = field(default_factory=list)

    def line_of(self, name):
        """Return the line of field ``name`` in the file, or the article's own line."""
        return self.lines.get(name, self.line)

    def refuse_control_characters(self):
        """Raise ``ImportProblem`` for a control character in any text of the record. The parsers
        check text as written where they can name its line; this catches what a format decoded
        into one (a WordPress entity) and stands for every format."""
        texts = [
            ("headline", self.headline, self.headline_line),
            ("dek", self.dek, self.line_of("dek")),
            ("body", self.body, self.line_of("body")),
            ("section", self.section, self.line_of("section")),
            ("dateline", self.dateline, self.line_of("dateline")),
            ("slug", self.slug, self.line_of("slug")),
            ("source name", self.source_name, self.line_of("source_name")),
            ("source id", self.source_id, self.line_of("source_id")),
            *(("author name", name, self.line_of("authors")) for name in self.authors or ()),
            *(("tag", name, self.line_of("tags")) for name in self.tags or ()),
            *(
                (f"correction {number}", item.text, item.line or self.line_of("corrections"))
                for number, item in enumerate(self.corrections or (), start=1)
            ),
            *(
                (f"{ref.label}: {name} text", getattr(ref, name), ref.line_of(name))
                for ref in self.picture_refs()
                for name in ("alt", "caption", "credit")
            ),
        ]
        for what, text, line in texts:
            refuse_control_characters(self.path, line, what, text)

    def picture_refs(self):
        """The pictures the record names: the lead picture, then the body's."""
        return ([self.image] if self.image else []) + [picture.ref for picture in self.body_pictures]


@dataclass
class ParsedFile:
    """What a parser made of one file: its articles, and how many entries it passed over (the
    pages and attachments of a WordPress export)."""

    records: list[ArticleRecord]
    skipped: int = 0
    # Articles in the file that cannot be imported; any one of them fails the whole file.
    problems: list[Notice] = field(default_factory=list)
    # About the file or an entry not imported (an empty draft); an article's own are on its record.
    warnings: list[Notice] = field(default_factory=list)


Parser = Callable[..., "ArticleRecord | ParsedFile"]


@dataclass(frozen=True)
class Format:
    label: str
    parse: Parser
    # A streamed format reads the file itself (a WordPress export can be far larger than an
    # article file); the others get its checked text from read_text().
    streamed: bool = False


def read_text(path):
    """Return the text of ``path`` decoded as UTF-8, a leading byte-order mark removed.

    Raises ``ImportProblem`` for a file over ``MAX_FILE_BYTES``, an empty or whitespace-only file,
    a binary file (a NUL byte) or bytes that are not UTF-8 (naming the line of the first one), and
    when the file cannot be read at all.
    """
    path = Path(path)
    with open_regular(path) as file:
        try:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_FILE_BYTES:
                limit = MAX_FILE_BYTES // 2**20
                raise ImportProblem(path, 1, f"file is over the {limit} MB limit ({size / 2**20:.1f} MB)")
            data = file.read()
        except OSError as error:
            raise ImportProblem(path, 1, f"cannot read the file: {error.strerror or error}") from None
    if not data:
        raise ImportProblem(path, 1, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportProblem(path, 1, "not UTF-8 (it looks like UTF-16); save it as UTF-8")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ImportProblem(path, line, "binary file (NUL byte), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ImportProblem(
            path,
            line,
            f"not UTF-8: byte 0x{data[error.start]:02X} at column {column} is not valid UTF-8; "
            "save the file as UTF-8",
        ) from None
    if not text.strip():
        raise ImportProblem(path, 1, "file has only whitespace, no text" if text else "empty file")
    return text


def open_regular(path):
    """Return ``path`` opened for reading bytes, if it is a regular file.

    Raises ``ImportProblem`` for a symbolic link (not followed: it could lead anywhere, and one may
    have been swapped in after the folder was searched), a named pipe (opened without waiting for
    a writer, then refused), a device or socket, and a file that cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if os.path.islink(path):
            raise ImportProblem(path, 1, "a symbolic link, not a regular file") from None
        raise ImportProblem(path, 1, f"cannot read the file: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ImportProblem(path, 1, "not a regular file")
    return os.fdopen(descriptor, "rb")


def parser_for(path):
    """Return the ``Format`` for ``path``'s extension.

    Raises ``ImportProblem`` for an extension we do not import.
    """
    path = Path(path)
    extension = path.suffix.lower()
    fmt = FORMATS.get(extension)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        what = f"'{extension}'" if extension else "a file without an extension"
        raise ImportProblem(path, 1, f"not an article file: {what} is not an import format ({known})")
    return fmt


def parse_file(path, name=None, *, uploads=None):
    """Return the ``ParsedFile`` for ``path``, parsed by the format its extension names.

    ``name`` is the file's identity among imports (``articles.import_sources``), the source id of
    an article whose file names none; by default the file name without its extension. ``uploads``
    is the folder a WordPress export's pictures are in (its ``wp-content/uploads``), or None.
    Raises ``ImportProblem`` for an unknown extension, a file that cannot be read, or bad input.
    """
    path = Path(path)
    name = path.stem if name is None else name
    fmt = parser_for(path)
    if fmt.streamed:
        result = fmt.parse(path, name, uploads=uploads)
    else:
        result = fmt.parse(path, read_text(path), name)
    return result if isinstance(result, ParsedFile) else ParsedFile([result])


# Imported here, after the types above exist, because the parsers build those types.
from articles.importers import jsonfile, markdown, plaintext, wxr  # noqa: E402

FORMATS: dict[str, Format] = {
    ".txt": Format("Plain-text", plaintext.parse),
    ".md": Format("Markdown", markdown.parse),
    ".json": Format("JSON", jsonfile.parse),
    ".xml": Format("WordPress (WXR)", wxr.parse, streamed=True),
}
