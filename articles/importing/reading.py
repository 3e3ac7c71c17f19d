"""Phase 2: read and parse every file, plan and check each of its articles, before anything is
written. A small ``_Entry`` per article stays in memory; its checked plan waits in the ``_Spool``.
A large import parses in worker processes (``_worker_processes``), which the writing phase then
uses to render the bodies. The database is asked one thing here: whether the site has any
imported article at all (``_older_imports_possible``).

Imports from ``checking``.
"""

import multiprocessing
import os
import pickle
import sys
from array import array
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import django

from articles.importers import ImportProblem, Notice, parse_file
from articles.importing.checking import _check_unique, _plan
from articles.models import Article

# From this many files on, files are parsed and bodies rendered in worker processes, one per CPU:
# YAML front matter and Markdown are parsed in pure Python, so a second core nearly halves the
# reading and takes the rendering off the writing. Below it, starting the workers costs more than
# they save.
PARALLEL_MIN_FILES = 5000
# Files (when reading) or bodies (when rendering) sent to a worker at a time.
_WORKER_CHUNK = 50
# Chunks of files sent to the workers ahead of the reading: enough to keep 16 CPUs busy.
_CHUNKS_UNDER_WAY = 32


@dataclass(slots=True)
class _Entry:
    """What stays in memory of a checked plan until it is written: enough to check it against the
    other files and the database, to find its earlier article and to report on it. The plan itself
    (body and all) waits in the spool as plan number ``spooled``. Its file's path is a string
    (``file``, the one its ``SourceFile`` holds), a ``Path`` only on use: see ``SourceFile``."""

    file: str
    source_name: str
    source_id: str
    slug: str | None
    headline: str
    checksum: str
    line: int
    slug_line: int
    source_id_line: int
    source_id_given: bool
    warnings: tuple
    # What an import before issue 12 would have called it (its file's stem), and its checksum then.
    legacy_source_id: str | None = None
    legacy_checksum: str = ""
    spooled: int = -1

    @classmethod
    def of(cls, plan, file):
        record = plan.record
        return cls(
            file=file,
            source_name=sys.intern(record.source_name),
            source_id=record.source_id,
            slug=record.slug,
            headline=record.headline,
            checksum=plan.checksum,
            line=record.line,
            slug_line=record.line_of("slug"),
            source_id_line=record.line_of("source_id"),
            source_id_given=record.source_id_given,
            warnings=tuple(record.warnings),
            legacy_source_id=record.legacy_source_id if plan.legacy_checksum else None,
            legacy_checksum=plan.legacy_checksum,
        )

    @property
    def path(self):
        return Path(self.file)

    def forget_legacy(self):
        """Drop what would find the article an import before issue 12 made: there is none."""
        self.legacy_source_id, self.legacy_checksum = None, ""

    @property
    def key(self):
        return (self.source_name, self.source_id)

    def line_of(self, name):
        return {"slug": self.slug_line, "source_id": self.source_id_line}.get(name, self.line)


class _Spool:
    """The checked plans, pickled to a temporary file between reading and writing.

    A hundred thousand article bodies would take gigabytes of memory; reading the files again would
    parse everything twice, and would write a file changed since it was checked. The spool keeps
    exactly what was checked and hands it back one plan at a time. Every ``put`` comes before the
    first ``get``. A plan is known by its number; where each starts is kept in an array, 8 bytes a
    plan rather than a tuple of two ints in every entry.
    """

    def __init__(self, file):
        self._file = file
        self._starts = array("q", [0])

    def put(self, data):
        """Store a pickled plan; return its number, for ``get``."""
        self._file.write(data)
        self._starts.append(self._starts[-1] + len(data))
        return len(self._starts) - 2

    def get(self, number):
        start, end = self._starts[number], self._starts[number + 1]
        self._file.seek(start)
        return pickle.loads(self._file.read(end - start))


@contextmanager
def _worker_processes(file_count):
    """Yield a pool of worker processes (one per CPU) for an import of ``file_count`` files, or
    None when the import is too small, there is one CPU, or the settings do not come from
    DJANGO_SETTINGS_MODULE (the workers set Django up from it).

    Workers are spawned, not forked: a fork would copy this process's database connections and
    threads. They only parse and render; every query stays in this process. A spawned worker
    imports the main script again, as multiprocessing does: a script that calls import_paths()
    needs the usual ``if __name__ == "__main__":`` guard (manage.py has it).
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if file_count < PARALLEL_MIN_FILES or cpus < 2 or not os.environ.get("DJANGO_SETTINGS_MODULE"):
        yield None
        return
    workers = ProcessPoolExecutor(
        max_workers=cpus, mp_context=multiprocessing.get_context("spawn"), initializer=django.setup
    )
    try:
        yield workers
    finally:
        workers.shutdown(cancel_futures=True)


def _read_all(files, options, report, progress, spool, workers):
    """Return (the entries of the files without a problem, the files' warnings by path, for the
    files with any).

    ``files`` is a deque of ``SourceFile``, emptied as they are read: a file is let go once read,
    so the files waiting and the entries made never both hold a million. The plans of the good
    files go to ``spool``; a failed file's never do. Files are parsed by ``workers`` when there
    are any, but checked against each other here, in order.
    """
    entries, sources, slugs, file_warnings = [], {}, {}, {}
    older_imports_possible = None  # asked of the database at the first entry that needs it
    read = _read_in_turn(files, options, workers)
    for file, outcome in progress(read, total=len(files), desc="Reading"):
        if isinstance(outcome, Notice):
            report.fail(outcome)
            continue
        problems, file_items = list(outcome.problems), []
        file_sources, file_slugs = {}, {}
        for item in outcome.items:
            if isinstance(item, Notice):
                problems.append(item)
                continue
            entry, _ = item
            entry.file = file.file  # one string per file, however many articles it holds
            try:
                _check_unique(entry, (sources, file_sources), (slugs, file_slugs))
            except ImportProblem as problem:
                problems.append(problem.as_notice())
                continue
            file_sources[entry.key] = entry
            if entry.slug:
                file_slugs[entry.slug] = entry
            file_items.append(item)
        if problems:
            report.fail_file(sorted(problems, key=lambda notice: notice.line))
            continue
        sources.update(file_sources)
        slugs.update(file_slugs)
        report.skipped += outcome.skipped
        # Only the files with warnings, in the order read: a million empty ones would cost 100 MB.
        if outcome.warnings or any(entry.warnings for entry, _ in file_items):
            file_warnings[file.path] = outcome.warnings
        for entry, plan_data in file_items:
            entry.spooled = spool.put(plan_data)
            if entry.legacy_source_id is not None:
                if older_imports_possible is None:
                    older_imports_possible = _older_imports_possible()
                if not older_imports_possible:
                    entry.forget_legacy()
            entries.append(entry)
    return entries, file_warnings


def _older_imports_possible():
    """Whether an import before issue 12 may have made an article of this import: not on a site
    without imported articles (a first bulk load), where each entry's checksum under its old
    identity would only take memory, a million of them."""
    return Article.objects.exclude(source_id="").exists()


def _read_in_turn(files, options, workers):
    """Yield (file, what reading it gave) for each file of the deque ``files``, in order, taking
    each off the deque. With ``workers``, at most ``_CHUNKS_UNDER_WAY`` chunks of files are sent
    ahead of the one being checked: neither the files waiting nor the results waiting grow with
    the import (``Executor.map`` would send them all at once)."""
    if workers is None:
        while files:
            file = files.popleft()
            yield file, _read_file(file, options)
        return
    under_way = deque()
    while files or under_way:
        while files and len(under_way) < _CHUNKS_UNDER_WAY:
            chunk = [files.popleft() for _ in range(min(_WORKER_CHUNK, len(files)))]
            under_way.append((chunk, workers.submit(_read_files, chunk, options)))
        chunk, future = under_way.popleft()
        yield from zip(chunk, future.result(), strict=True)


def _read_files(files, options):
    """``_read_file`` for each of a chunk of files, in a worker process."""
    return [_read_file(file, options) for file in files]


@dataclass
class _FileRead:
    """What reading one file gave: each article's entry and pickled plan, or its problem."""

    items: list
    problems: list
    skipped: int
    warnings: tuple


def _read_file(file, options):
    """Parse the ``import_sources.SourceFile`` ``file`` and plan its articles; return a
    ``_FileRead``, or the ``Notice`` of a file that cannot be parsed. Runs in a worker process for a
    large import, so it returns only plain values: entries, and plans already pickled for the spool."""
    path = file.path
    try:
        parsed = parse_file(path, file.name, uploads=options.uploads)
    except ImportProblem as problem:
        return problem.as_notice()
    items = []
    for record in parsed.records:
        try:
            plan = _plan(record, options)
        except ImportProblem as problem:
            items.append(problem.as_notice())
            continue
        items.append((_Entry.of(plan, file.file), pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)))
    return _FileRead(items, list(parsed.problems), parsed.skipped, tuple(parsed.warnings))
