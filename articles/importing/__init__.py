"""Bring articles in from files: find them, read and check every one, write them, say what happened.

``import_paths()`` is the whole job; the ``import_articles`` command only parses its arguments and
prints the report. The parsers, one per format, live in ``articles.importers``.

Re-imports are idempotent. Each article remembers where it came from (``source_name`` and
``source_id``) and a checksum of what the import made of it, options included. The same source with
the same checksum is left alone; a different checksum updates the article the source made before.
An export keeps each article's source (``NEWSROOM_SOURCE`` and its id for one written here), so
importing an export finds the articles it came from.

A file is the unit of all or nothing: a JSON list or a WordPress export with one bad article fails
as a whole, with a message for each bad article, and ``--keep-going`` passes over the whole file.

Imports run to a hundred thousand files and more, so memory and queries do not grow with the text of
the articles or with their number. While the files are read, only a small ``_Entry`` per article
stays in memory; the checked plan, body included, waits in a temporary file (``_Spool``) until it is
written. Writes go in batches of ``WRITE_BATCH`` articles: multi-row inserts and updates for the
articles, their bylines, taggings and corrections, then ``publishing.after_bulk_write`` does for the
batch what a save does (revisions, redirects, search index, audit, announcements, cached pages), so
an imported story and an edited one are alike. An unchanged article is neither read back nor touched.

The phases, and the modules of this package that do them:

1. Finding the files: ``articles.import_sources.find()``.
2. Reading: ``reading`` parses every file (in worker processes for a large import), plans and
   checks each article (``checking``) and spools the plans (``_Entry``, ``_Spool``).
3. Checking against the database, read only: ``checking``, with ``matching`` to find the articles
   earlier imports made and the slugs other articles hold.
4. Writing, in one transaction: ``writing`` (``WRITE_BATCH``), with ``naming`` for sections,
   authors, tags and the slugs of new articles.

Picture files the articles name (``articles.picture_files``; ``pictures``) are checked with their
article in phase 2, their checked bytes kept in a temporary folder, and stored by the picture
library in phase 4. A dry run stores none; an import whose transaction does not commit deletes the
files it stored.

``report`` holds what the caller gets back. A module imports only from those below it:
``report``, ``naming``, ``matching`` and ``pictures`` import nothing from the package; ``checking``
imports from them, ``reading`` from ``checking``, ``writing`` from ``reading``, ``naming``,
``matching`` and ``pictures``; and this one runs the phases in order.
"""

import tempfile
from collections import deque
from dataclasses import replace
from pathlib import Path

from django.db import transaction

from articles import import_sources, picture_files
from articles.autotag import Vocabulary
from articles.importing.checking import DEFAULT_SECTION, _check_against_database, _check_options, _warnings
from articles.importing.matching import NEWSROOM_SOURCE
from articles.importing.reading import _read_all, _Spool, _worker_processes
from articles.importing.report import ImportOptionError, ImportReport, Outcome
from articles.importing.writing import _write_all, _WriteConflict

# What other code and the tests take from ``articles.importing``. The tuning constants (WRITE_BATCH,
# PARALLEL_MIN_FILES) stay in the modules that read them: patch them there.
__all__ = [
    "DEFAULT_SECTION",
    "NEWSROOM_SOURCE",
    "ImportOptionError",
    "ImportReport",
    "Outcome",
    "import_paths",
]


def _no_progress(iterable, **kwargs):
    return iterable


def import_paths(
    paths,
    *,
    section=None,
    author=None,
    tags=(),
    status=None,
    published_at=None,
    dateline=None,
    auto_tag=False,
    dry_run=False,
    keep_going=False,
    progress=None,
    uploads=None,
):
    """Import the article files in ``paths`` (files, or folders searched recursively).

    The options fill in what a file leaves out; a file's own value wins. ``author`` is one name or a
    list of names (the byline, in order); ``tags`` a list of names or one comma-separated string;
    ``published_at`` an aware datetime. Without a section the article goes in ``DEFAULT_SECTION``;
    without a status a new article is a draft and an existing one keeps its status. ``auto_tag``
    adds the tags of the desk's vocabulary found in headline, dek and body (``articles.autotag``)
    to the tags the file or the options give. ``uploads`` is a WordPress export's uploads folder,
    where its posts' pictures are (without it they are left out, with a warning).

    Every file is read and checked before anything is written. Then, unless a file failed (or
    ``keep_going`` is set), all articles are written in one transaction; ``dry_run`` rolls it back.
    ``progress``, if given, wraps each phase's iterable like ``tqdm(iterable, total=, desc=)``.

    Returns an ``ImportReport``; bad files are in its ``problems``, never raised.
    Raises ``ImportOptionError`` for an option the models cannot hold (checked before any file).
    """
    options = _check_options(section, author, tags, status, published_at, dateline, uploads)
    if auto_tag:
        options = replace(options, vocabulary=Vocabulary.load())
    progress = progress or _no_progress
    report = ImportReport(dry_run=dry_run)

    found = import_sources.find([paths] if isinstance(paths, str | Path) else paths)
    for problem in found.problems:
        report.fail(problem)
    report.skips.extend(found.skips)
    report.skipped += len(found.skips) + found.others
    # A deque the reading empties: each file is let go once read (reading._read_all).
    files = deque(found.files)
    del found
    with (
        tempfile.TemporaryFile(prefix="newsroom-import-") as spool_file,
        tempfile.TemporaryDirectory(prefix="newsroom-import-pictures-") as picture_spool,
        _worker_processes(len(files)) as workers,
    ):
        spool = _Spool(spool_file)
        options = replace(options, picture_spool=picture_spool)
        entries, file_warnings = _read_all(files, options, report, progress, spool, workers)
        # The database is read (never written) while checking: which article each source made
        # before, which slugs are taken. The writes then run in a transaction of their own.
        entries, existing = _check_against_database(entries, report)
        report.warnings.extend(_warnings(entries, file_warnings, report))
        if report.problems and not keep_going:
            report.held_back = len({entry.file for entry in entries})
            return report
        if entries:
            pictures = None if dry_run else picture_files.writer()
            kept = False
            try:
                with transaction.atomic():
                    _write_all(entries, existing, spool, report, progress, workers, pictures)
                    if dry_run:
                        transaction.set_rollback(True)
                kept = not dry_run
            except _WriteConflict as conflict:
                report.undo_outcomes()
                report.fail(conflict.notice)
            finally:
                if pictures is not None and not kept:
                    pictures.discard()  # the rows that named them were rolled back
    return report
