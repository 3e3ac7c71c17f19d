"""Picture files through imports and exports, through a library another app registers (photos does).

Articles never imports the picture library (DESIGN.md, Layout). An import that names a picture
file (a story's lead picture, or a picture in its body) asks the registered *picture library* to
check it; the import's write phase asks it to add the checked pictures (an identical picture
already in the library is used again, so a re-run adds none) and to make them stories' lead
pictures; an export asks it for each story's lead picture as stored, to write beside the story.
Without a library registered, an import naming a picture fails with a message saying so, and an
export writes no pictures.

The contract between the two apps is this module. A picture's *checksum* is the sha256 of the bytes
the library stores for it, which are the file's own bytes when the file is already clean (upright,
no location or camera data): so the original an export writes imports back as the same picture.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

# What an article's texts call each text of a picture, and the front matter key that gives it.
TEXTS = ("alt", "caption", "credit")


@dataclass(frozen=True)
class CheckedFile:
    """A picture file the library accepted: the bytes it would store, their checksum, and the
    library's own small note of what it found (photos: format and size), handed back on store."""

    data: bytes
    checksum: str
    extension: str
    facts: object = None


@dataclass(frozen=True)
class NamedPicture:
    """A picture an import names, checked: what the library would store and what readers are told
    about it. Its bytes wait in a file of the import's own (``spooled``) until they are stored."""

    checksum: str
    extension: str
    facts: object
    alt: str
    caption: str
    credit: str
    spooled: str

    @property
    def texts(self):
        return (self.alt, self.caption, self.credit)

    def checked_file(self):
        """The ``CheckedFile`` again, its bytes read back from the import's spool."""
        return CheckedFile(Path(self.spooled).read_bytes(), self.checksum, self.extension, self.facts)


@dataclass(frozen=True)
class Original:
    """A story's lead picture as the library stores it, for an export: its texts, and its bytes
    through ``open()`` (a binary file to read and close)."""

    checksum: str
    extension: str
    alt: str
    caption: str
    credit: str
    open: Callable[[], BinaryIO]


class PictureWriter(Protocol):
    """One import's additions to the library, inside the import's transaction."""

    def add(self, pictures, *, prefer=()):
        """Return the library's id for each ``NamedPicture`` in ``pictures``, in order: a picture
        with the same checksum and texts if there is one; else the one among the ids ``prefer`` (the
        pictures the story showed before) with the same checksum, its texts made these; else a new
        one, stored."""

    def set_leads(self, leads):
        """Make each (article id, ``NamedPicture``) of ``leads`` the story's lead picture, found or
        added as ``add`` does (the story's present lead picture preferred)."""

    def discard(self):
        """The import's transaction was rolled back: delete the files this writer stored."""


class PictureLibrary(Protocol):
    def text_problem(self, alt, caption, credit):
        """(which of ``TEXTS``, reason) for the first text the library cannot take (alt text or a
        credit missing, a text too long), or None."""

    def check_file(self, file):
        """Read the binary ``file`` once and return its ``CheckedFile``, or the reason (text) it is
        not an acceptable picture: not a picture, damaged, too large, a decompression bomb."""

    def writer(self):
        """A ``PictureWriter`` for one import."""

    def lead_originals(self, article_ids):
        """``{article id: Original}`` for those of ``article_ids`` that lead with a picture."""


_libraries: list[PictureLibrary] = []


def register_library(library):
    """Let ``library`` take pictures in and give them out; the last registered wins."""
    _libraries.append(library)


def unregister_library(library):
    _libraries.remove(library)


def library():
    """The registered ``PictureLibrary``, or None."""
    return _libraries[-1] if _libraries else None


def writer():
    """A ``PictureWriter`` for one import, or None without a library."""
    found = library()
    return found.writer() if found is not None else None


def lead_originals(article_ids):
    found = library()
    if found is None or not article_ids:
        return {}
    return found.lead_originals(list(article_ids))
