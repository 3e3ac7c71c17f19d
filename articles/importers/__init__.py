"""Parsers for the import formats, one module per format, chosen by file extension.

A parser turns one file's text into an ``ArticleRecord``: what the file itself says, before the
command-line options are applied and before anything touches the database (``articles.importing``
does both). Bad input raises ``ImportProblem`` with the path, the line and a plain reason.

To add a format, write ``articles/importers/<name>.py`` with ``parse(path, text) -> ArticleRecord``
and point its extension at it in ``FORMATS`` below.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

# Checked with stat() before a file is read, so a stray video or database dump costs nothing.
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Notice:
    """A message about one place in one file: a problem that stops its import, or a warning.

    ``line`` counts from 1; it is 1 when the message is about the file (or folder) as a whole.
    """

    path: Path
    line: int
    reason: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.reason}"


class ImportProblem(Exception):
    """Bad input in one file: ``path:line: reason``. Never a bug in our code."""

    def __init__(self, path, line, reason):
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason

    def as_notice(self):
        return Notice(self.path, self.line, self.reason)


@dataclass
class ArticleRecord:
    """One article as a file gives it: plain values, no database objects.

    Fields left as ``None`` were not in the file; the import fills them from the command-line
    options or the defaults. Plain text carries only headline, dek and body; the Markdown, JSON and
    WordPress formats will fill the rest from their own metadata.
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
    # Set when the headline had to be made up: an editor must see the story before it goes out.
    keep_as_draft: bool = False
    warnings: list[Notice] = field(default_factory=list)


Parser = Callable[[Path, str], ArticleRecord]


@dataclass(frozen=True)
class Format:
    label: str
    parse: Parser | None  # None: the extension is ours, its parser is still to be written


def read_text(path):
    """Return the text of ``path`` decoded as UTF-8, a leading byte-order mark removed.

    Raises ``ImportProblem`` for a file over ``MAX_FILE_BYTES``, an empty or whitespace-only file,
    a binary file (a NUL byte) or bytes that are not UTF-8 (naming the line of the first one), and
    when the file cannot be read at all.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 2**20
            raise ImportProblem(path, 1, f"file is over the {limit} MB limit ({size / 2**20:.1f} MB)")
        data = path.read_bytes()
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


def parser_for(path):
    """Return the parser for ``path``'s extension.

    Raises ``ImportProblem`` for an extension we do not import, or one whose parser is not written yet.
    """
    path = Path(path)
    extension = path.suffix.lower()
    fmt = FORMATS.get(extension)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        what = f"'{extension}'" if extension else "a file without an extension"
        raise ImportProblem(path, 1, f"not an article file: {what} is not an import format ({known})")
    if fmt.parse is None:
        raise ImportProblem(path, 1, f"{fmt.label} import is not supported yet")
    return fmt.parse


# Imported here, after the types above exist, because the parsers build those types.
from articles.importers import plaintext  # noqa: E402

FORMATS: dict[str, Format] = {
    ".txt": Format("Plain-text", plaintext.parse),
    ".md": Format("Markdown", None),
    ".json": Format("JSON", None),
    ".xml": Format("WordPress (WXR)", None),
}
