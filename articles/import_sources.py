"""The files an import reads: found inside the paths the operator named, each with its identity.

Only regular files are read. Inside a named folder a symbolic link (to a file or a folder), a
named pipe, a device or a socket is skipped with a message: a link could lead anywhere on the
server (``passwd.txt -> /etc/passwd`` would become a draft every reporter can read), and opening a
named pipe would wait for a writer forever. A path named on the command line that is a link fails
the import, asking for what it points to: a shell glob (``import_articles uploads/*``) names every
entry of a folder, the link among them. The parsers open every file without following a link
(``articles.importers.open_regular``), so a file swapped for a link after it was found is refused.

A file's identity, its ``name`` here, is its path relative to the folder named on the command line,
folders included and extension left out (``story-one/index`` for ``hugo/story-one/index.md`` when
``hugo`` was named), or the file name without extension for a file named itself. An article
without a ``source_id`` of its own is matched across imports by it (issue 12, point 3: matching on
the bare file name made ``story-one/index.md`` overwrite ``story-three/index.md``);
``older_imports()`` still finds what older versions made, when that is unambiguous.
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from articles.importers import FORMATS, Notice, printable
from articles.models import Article

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read and its identity among imports (``name``).

    The path is kept as a string, made a ``Path`` on use: an import of a million files keeps a
    million of these, and a ``Path`` (its parts parsed and kept) costs several times its string.
    """

    file: str
    name: str

    @property
    def path(self):
        return Path(self.file)


@dataclass(frozen=True)
class Skip:
    """An entry of a named folder that is not read, and why: ``path: skipped: reason``."""

    path: Path
    reason: str

    def __str__(self):
        return printable(f"{self.path}: skipped: {self.reason}")


@dataclass
class Found:
    """What ``find()`` found: the files to read, and what it could not use."""

    files: list[SourceFile]
    problems: list[Notice]
    skips: list[Skip]
    # Regular files in folders that are in no import format: counted, not named.
    others: int = 0


def find(paths):
    """Return the ``Found`` article files under ``paths`` (files, or folders searched recursively),
    in a stable order, each once.

    Hidden files and folders (a leading dot: .git, .DS_Store, editor swap files) are passed over
    silently; regular files in no import format are counted in ``others``; anything else in a
    folder (links, pipes, devices, sockets) is a ``Skip``. A missing path, one that is neither a
    file nor a folder, a folder without articles and one that cannot be read are ``problems``.
    """
    found, seen = Found([], [], []), set()
    for path in map(Path, paths):
        if path.is_symlink():
            reason = (
                "a symbolic link; an import reads only regular files and folders, so name what it points to"
            )
            found.problems.append(Notice(path, 1, reason))
            continue
        if path.is_dir():
            files = _files_in(path, found)
            if not files:
                found.problems.append(
                    Notice(path, 1, f"no articles in this folder (no {_extensions()} files)")
                )
        elif path.is_file():
            files = [(SourceFile(str(path), printable(path.stem)), os.path.realpath(path))]
        elif path.exists():
            found.problems.append(Notice(path, 1, "not a regular file or a folder"))
            continue
        else:
            found.problems.append(Notice(path, 1, "no such file or folder"))
            continue
        for file, real in files:
            if real not in seen:
                seen.add(real)
                found.files.append(file)
    return found


def _files_in(folder, found):
    """Return (``SourceFile``, real path) for the regular files with an import format's extension
    in ``folder`` and below, without following a link."""
    files = []
    real_folder = os.path.realpath(folder)
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            found.problems.append(Notice(Path(current), 1, f"cannot read the folder: {error.strerror}"))
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as error:
                found.problems.append(Notice(Path(entry.path), 1, f"cannot read it: {error.strerror}"))
                continue
            if stat.S_ISDIR(mode):
                folders.append(entry.path)
            elif not stat.S_ISREG(mode):
                kind = next((what for test, what in _KINDS if test(mode)), "not a file")
                found.skips.append(Skip(Path(entry.path), f"{kind}, not a regular file"))
            elif os.path.splitext(entry.name)[1].lower() in FORMATS:
                relative = os.path.relpath(entry.path, folder)
                name = printable(Path(relative).with_suffix("").as_posix())
                files.append((SourceFile(entry.path, name), os.path.join(real_folder, relative)))
            else:
                found.others += 1
        # Depth first in name order, as os.walk gave them before.
        pending.extend(reversed(folders))
    return files


def older_imports(entries, found, chunk_size):
    """Return, by the key (source name, source id) of an entry of ``entries``, the article
    (pk, slug, checksum, headline) that an import before issue 12 made from its file, which carries
    the file's stem as its source id, not its path. ``found`` holds the articles already found by
    their own source id (values with a ``pk``); ``chunk_size`` source ids go in one query.

    Only when it cannot be another file's: no other file of this import has that stem (or that
    source id), no file found the article by its own source id, and the file is unchanged since
    that import made the article (same checksum). Otherwise the file makes a new article and the
    old one is left alone (issue 12, point 3). The same slug or headline is no proof: under the
    stem identity ``hugo1/story-one/index.md`` naming the slug of ``hugo2/story-three/index.md``
    would replace story three, where a slug taken by another file's article must be an error.
    """
    older, claims = {}, {}
    for entry in entries:
        if entry.legacy_source_id is not None and entry.key not in found:
            claims.setdefault((entry.source_name, entry.legacy_source_id), []).append(entry)
    if not claims:
        return older
    own_keys = {entry.key for entry in entries}
    found_pks = {stored.pk for stored in found.values()}
    candidates = {key: claimants[0] for key, claimants in claims.items() if len(claimants) == 1}
    candidates = {key: entry for key, entry in candidates.items() if key not in own_keys}
    by_source = {}
    for source_name, legacy_id in candidates:
        by_source.setdefault(source_name, []).append(legacy_id)
    for source_name, ids in by_source.items():
        for start in range(0, len(ids), chunk_size):
            rows = Article.objects.filter(
                source_name=source_name, source_id__in=ids[start : start + chunk_size]
            ).values_list("source_id", "pk", "slug", "source_checksum", "headline")
            for legacy_id, pk, slug, checksum, headline in rows:
                entry = candidates[(source_name, legacy_id)]
                if checksum == entry.legacy_checksum and pk not in found_pks:
                    older[entry.key] = (pk, slug, checksum, headline)
                    found_pks.add(pk)
    return older


def _extensions():
    return ", ".join(sorted(FORMATS))
