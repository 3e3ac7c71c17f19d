"""Phase 2: read and parse every file, plan and check each of its articles, before anything is
written. A small ``_Entry`` per article stays in memory; its checked plan waits in the ``_Spool``.
A large import parses in worker processes (``_worker_processes``), which the writing phase then
uses to render the bodies.

Imports from ``checking``.
"""

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import django

from articles.importers import ImportProblem, Notice, parse_file
from articles.importing.checking import _check_unique, _plan

# From this many files on, files are parsed and bodies rendered in worker processes, one per CPU:
# YAML front matter and Markdown are parsed in pure Python, so a second core nearly halves the
# reading and takes the rendering off the writing. Below it, starting the workers costs more than
# they save.
PARALLEL_MIN_FILES = 5000
# Files (when reading) or bodies (when rendering) sent to a worker at a time.
_WORKER_CHUNK = 50


@dataclass(slots=True)
class _Entry:
    """What stays in memory of a checked plan until it is written: enough to check it against the
    other files and the database, to find its earlier article and to report on it. The plan itself
    (body and all) waits in the spool at ``spooled`` (offset, size)."""

    path: Path
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
    spooled: tuple = (0, 0)

    @classmethod
    def of(cls, plan, path):
        record = plan.record
        return cls(
            path=path,
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
            legacy_source_id=record.legacy_source_id,
            legacy_checksum=plan.legacy_checksum,
        )

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
    first ``get``.
    """

    def __init__(self, file):
        self._file = file
        self._end = 0

    def put(self, data):
        """Store a pickled plan; return where it is, for ``get``."""
        self._file.write(data)
        self._end += len(data)
        return (self._end - len(data), len(data))

    def get(self, where):
        offset, size = where
        self._file.seek(offset)
        return pickle.loads(self._file.read(size))


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
    """Return (the entries of the files without a problem, each such file's own warnings).

    The plans of those files go to ``spool``; a failed file's never do. Files are parsed by
    ``workers`` when there are any, but checked against each other here, in order.
    """
    entries, sources, slugs, file_warnings = [], {}, {}, {}
    if workers is not None:
        parsed = workers.map(_read_file, files, repeat(options), chunksize=_WORKER_CHUNK)
        read = zip(files, parsed, strict=True)
    else:
        read = ((file, _read_file(file, options)) for file in files)
    for file, outcome in progress(read, total=len(files), desc="Reading"):
        path = file.path
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
            entry.path = path  # one Path object per file, however many articles it holds
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
        file_warnings[path] = outcome.warnings
        for entry, plan_data in file_items:
            entry.spooled = spool.put(plan_data)
            entries.append(entry)
    return entries, file_warnings


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
        items.append((_Entry.of(plan, path), pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)))
    return _FileRead(items, list(parsed.problems), parsed.skipped, tuple(parsed.warnings))
