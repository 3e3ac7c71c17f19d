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
articles, their revisions, bylines, taggings and corrections, then the search index for the batch.
An unchanged article is neither read back nor touched.
"""

import hashlib
import json
import multiprocessing
import os
import pickle
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import reduce
from itertools import chain, islice, repeat
from operator import or_
from pathlib import Path
from typing import NamedTuple

import django
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from articles import caching, import_sources, search
from articles.autotag import Vocabulary
from articles.importers import (
    ArticleRecord,
    ImportProblem,
    Notice,
    control_character_problem,
    parse_file,
)
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Section,
    SlugRedirect,
    Status,
    Tag,
    TaggedArticle,
    derive_from_body,
)

# A file and no option naming a section: the article still needs one (Article.section is required).
DEFAULT_SECTION = "News"
# What a new article gets when neither its file nor --status says; an import never goes live unasked.
DEFAULT_STATUS = Status.DRAFT
ARTICLE_SLUG_MAX_CHARS = 80
# The source an export gives an article written here (no import made it); its source id is the
# article's primary key. Importing the export into the same database finds the article again.
NEWSROOM_SOURCE = "newsroom"
# Source ids per query when looking up earlier imports, well under SQLite's variable limit.
_LOOKUP_CHUNK = 500
# Articles written together: a batch costs a fixed number of statements (Django splits each
# multi-row insert or update to fit the database's limit on parameters), and only one batch of
# article text is in memory at a time. The ids of a batch fit one query even where SQLite allows
# only 999 parameters (before 3.32).
WRITE_BATCH = 500
# Names per lookup: an OR of this many terms stays well under SQLite's expression depth (1000).
_NAME_CHUNK = 100
# From this many files on, files are parsed and bodies rendered in worker processes, one per CPU:
# YAML front matter and Markdown are parsed in pure Python, so a second core nearly halves the
# reading and takes the rendering off the writing. Below it, starting the workers costs more than
# they save.
PARALLEL_MIN_FILES = 5000
# Files (when reading) or bodies (when rendering) sent to a worker at a time.
_WORKER_CHUNK = 50
# What Article.save() writes and the batch update of a changed article must write too.
_UPDATED_FIELDS = [
    "source_name", "source_id", "slug", "featured", "headline", "dek", "body", "body_html", "section",
    "dateline", "status", "published_at", "source_checksum", "word_count", "edit_version", "updated_at",
]  # fmt: skip


class ImportOptionError(ValueError):
    """An import option that cannot be used: an unknown status, a name longer than its field allows."""


class _WriteConflict(Exception):
    """The database refused a write that the checks allowed: someone else took the slug (or the
    source) between the check and the write. Everything written is rolled back."""

    def __init__(self, notice):
        super().__init__(str(notice))
        self.notice = notice


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one file: created, updated or unchanged."""

    path: Path
    action: str
    slug: str


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do.

    ``failed`` counts the inputs with a problem: files, and paths that are missing or hold no
    articles. ``skipped`` counts files in folders that are not in an import format.
    """

    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    # Good files not written because another file failed and the import is all or nothing.
    held_back: int = 0
    problems: list[Notice] = field(default_factory=list)
    # Links, pipes and devices in the folders, not read (import_sources.Skip); counted in skipped.
    skips: list = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self):
        """Return the one-line tally, e.g. "2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"."""
        counts = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.failed} failed"
        )
        return f"Dry run: {counts}" if self.dry_run else counts

    def fail(self, notice):
        self.problems.append(notice)
        self.failed += 1

    def fail_file(self, notices):
        """Count one failed file with a message for each of its problems."""
        self.problems.extend(notices)
        self.failed += 1

    def add_outcome(self, path, action, slug):
        setattr(self, action, getattr(self, action) + 1)
        self.outcomes.append(Outcome(path, action, slug))

    def undo_outcomes(self):
        """Forget what was written: the transaction that wrote it was rolled back."""
        self.created = self.updated = self.unchanged = 0
        self.outcomes.clear()


@dataclass(frozen=True)
class _Options:
    section: str | None
    authors: list[str]
    tags: list[str]
    status: str | None
    published_at: datetime | None
    dateline: str | None
    vocabulary: Vocabulary | None = None


@dataclass
class _Plan:
    """A checked record with the options applied: exactly what will be written."""

    record: ArticleRecord
    section: str
    authors: list[str]
    tags: list[str]
    dateline: str
    # Only what the file or the options said. None leaves an existing article's status (and
    # publication time) alone, so re-importing a changed file never takes a live story down.
    status: str | None
    published_at: datetime | None
    checksum: str = ""
    legacy_checksum: str = ""

    @property
    def key(self):
        return (self.record.source_name, self.record.source_id)


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


class _Stored(NamedTuple):
    """An article an earlier import made: all the check needs to know whether it changed."""

    pk: int
    slug: str
    checksum: str
    headline: str = ""


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


def _no_progress(iterable, **kwargs):
    return iterable


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
):
    """Import the article files in ``paths`` (files, or folders searched recursively).

    The options fill in what a file leaves out; a file's own value wins. ``author`` is one name or a
    list of names (the byline, in order); ``tags`` a list of names or one comma-separated string;
    ``published_at`` an aware datetime. Without a section the article goes in ``DEFAULT_SECTION``;
    without a status a new article is a draft and an existing one keeps its status. ``auto_tag``
    adds the tags of the desk's vocabulary found in headline, dek and body (``articles.autotag``)
    to the tags the file or the options give.

    Every file is read and checked before anything is written. Then, unless a file failed (or
    ``keep_going`` is set), all articles are written in one transaction; ``dry_run`` rolls it back.
    ``progress``, if given, wraps each phase's iterable like ``tqdm(iterable, total=, desc=)``.

    Returns an ``ImportReport``; bad files are in its ``problems``, never raised.
    Raises ``ImportOptionError`` for an option the models cannot hold (checked before any file).
    """
    options = _check_options(section, author, tags, status, published_at, dateline)
    if auto_tag:
        options = replace(options, vocabulary=Vocabulary.load())
    progress = progress or _no_progress
    report = ImportReport(dry_run=dry_run)

    found = import_sources.find([paths] if isinstance(paths, str | Path) else paths)
    for problem in found.problems:
        report.fail(problem)
    report.skips.extend(found.skips)
    report.skipped += len(found.skips) + found.others
    files = found.files
    with (
        tempfile.TemporaryFile(prefix="newsroom-import-") as spool_file,
        _worker_processes(len(files)) as workers,
    ):
        spool = _Spool(spool_file)
        entries, file_warnings = _read_all(files, options, report, progress, spool, workers)
        # The database is read (never written) while checking: which article each source made
        # before, which slugs are taken. The writes then run in a transaction of their own.
        entries, existing = _check_against_database(entries, report)
        report.warnings.extend(_warnings(entries, file_warnings, report))
        if report.problems and not keep_going:
            report.held_back = len({entry.path for entry in entries})
            return report
        if entries:
            try:
                with transaction.atomic():
                    _write_all(entries, existing, spool, report, progress, workers)
                    if dry_run:
                        transaction.set_rollback(True)
                    elif report.created or report.updated:
                        # Bulk writes send no save signals: retire the cached pages here. It bumps
                        # the content version row in this transaction, so it commits with the writes.
                        caching.content_changed()
            except _WriteConflict as conflict:
                report.undo_outcomes()
                report.fail(conflict.notice)
    return report


# Phase 1, finding the files, is articles.import_sources.find().


def _statuses():
    return ", ".join(Status.values)


# Phase 2: read, parse and check every file before anything is written.


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
        parsed = parse_file(path, file.name)
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


def _warnings(entries, file_warnings, report):
    """Return the warnings of the files still to be imported: by file, then by line."""
    own = {}
    for entry in entries:
        if entry.warnings:
            own.setdefault(entry.path, []).extend(entry.warnings)
    failed = {problem.path for problem in report.problems}
    return [
        warning
        for path, warnings in file_warnings.items()
        if path not in failed
        for warning in sorted([*warnings, *own.get(path, ())], key=lambda notice: notice.line)
    ]


def _check_unique(entry, sources, slugs):
    """Raise ``ImportProblem`` when an article read before in this import has the same source or
    asks for the same slug. ``sources`` and ``slugs`` are dicts (earlier files', this file's) of
    the entries read so far."""
    other = next((found[entry.key] for found in sources if entry.key in found), None)
    if other is not None:
        hint = (
            "give each article its own source_id"
            if entry.source_id_given
            else "an article without one is matched by its path inside the folder named, so name "
            "the folder that holds both, or give each a source_id"
        )
        raise ImportProblem(
            entry.path,
            entry.line_of("source_id"),
            f"same source id '{entry.source_id}' as {_place(other, 'source_id')}; {hint}",
        )
    other = next((found[entry.slug] for found in slugs if entry.slug in found), None)
    if entry.slug and other is not None:
        raise ImportProblem(
            entry.path,
            entry.line_of("slug"),
            f"slug '{entry.slug}' is also the slug of {_place(other, 'slug')}",
        )


def _place(entry, field_name):
    """Return "path:line" of ``entry``'s field, or only the path when that is the whole file."""
    line = entry.line_of(field_name)
    return f"{entry.path}:{line}" if line > 1 else str(entry.path)


def _plan(record, options):
    """Return the ``_Plan`` for ``record``: file values first, then options, then defaults."""
    record.refuse_control_characters()
    headline_limit = Article._meta.get_field("headline").max_length
    if not record.headline.strip():
        raise ImportProblem(record.path, record.headline_line, "no headline")
    if len(record.headline) > headline_limit:
        raise ImportProblem(
            record.path,
            record.headline_line,
            f"headline is {len(record.headline)} characters; the limit is {headline_limit}",
        )
    for name in ("source_id", "source_name", "slug"):
        value = getattr(record, name) or ""
        limit = Article._meta.get_field(name).max_length
        if len(value) > limit:
            raise ImportProblem(
                record.path,
                record.line_of(name),
                f"{name.replace('_', ' ')} is {len(value)} characters; the limit is {limit}",
            )
    for number, correction in enumerate(record.corrections or (), start=1):
        if not correction.text.strip():
            raise ImportProblem(
                record.path, record.line_of("corrections"), f"correction {number} has no text"
            )

    plan = _Plan(
        record=record,
        section=_clean_name(record.section or "") or options.section or DEFAULT_SECTION,
        authors=options.authors if record.authors is None else _unique_names(record.authors),
        tags=options.tags if record.tags is None else _unique_names(record.tags),
        dateline=(record.dateline if record.dateline is not None else options.dateline) or "",
        status=Status.DRAFT if record.keep_as_draft else (record.status or options.status),
        published_at=record.published_at or options.published_at,
    )
    if options.vocabulary is not None:
        found = options.vocabulary.tag_names_for(record.headline, record.dek, record.body)
        plan.tags = _unique_names([*plan.tags, *found])
    # Values from the file are checked here; the options were checked before any file was read.
    for kind, field_name, names in (
        ("section", "section", [plan.section]),
        ("author", "authors", plan.authors),
        ("tag", "tags", plan.tags),
    ):
        for name in names:
            if reason := _name_problem(kind, name):
                raise ImportProblem(record.path, record.line_of(field_name), reason)
    if reason := _dateline_problem(plan.dateline):
        raise ImportProblem(record.path, record.line_of("dateline"), reason)
    if plan.status is not None and plan.status not in Status.values:
        raise ImportProblem(
            record.path,
            record.line_of("status"),
            f"unknown status '{plan.status}'; use one of: {_statuses()}",
        )
    plan.checksum = _checksum(plan)
    if record.legacy_source_id not in (None, record.source_id):
        plan.legacy_checksum = _checksum(plan, source_id=record.legacy_source_id)
    return plan


def _checksum(plan, source_id=None):
    """Return the sha256 of everything the import decides about the article, options included
    (with ``source_id`` for the record's own: what an older import made of the same file)."""
    record = plan.record
    payload = {
        "source": [record.source_name, source_id or record.source_id],
        "headline": record.headline,
        "dek": record.dek,
        "body": record.body,
        "section": plan.section,
        "authors": plan.authors,
        "tags": sorted(plan.tags, key=str.casefold),
        "dateline": plan.dateline,
        "status": plan.status,
        # In UTC, so the same moment written with another offset is no change.
        "published_at": _utc(plan.published_at),
    }
    # Only what a format says: a plain-text file's checksum stays what it was before these existed.
    if record.slug is not None:
        payload["slug"] = record.slug
    if record.featured is not None:
        payload["featured"] = record.featured
    if record.updated_at is not None:
        payload["updated_at"] = _utc(record.updated_at)
    if record.corrections is not None:
        payload["corrections"] = [[_utc(item.date), item.text] for item in record.corrections]
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def _utc(moment):
    return moment.astimezone(UTC).isoformat() if moment else None


# Options: checked once, before any file is read.

_NAME_FIELDS = {"section": Section, "author": Author, "tag": Tag}


def _check_options(section, author, tags, status, published_at, dateline):
    if isinstance(author, str):
        author = [author]
    if isinstance(tags, str):
        tags = tags.split(",")
    # Before the names are cleaned: Python counts a vertical tab as a space.
    given = [("the section name (--section)", section), ("the dateline (--dateline)", dateline)]
    given += [("an author name (--author)", name) for name in author or ()]
    given += [("a tag (--tags)", name) for name in tags or ()]
    for what, value in given:
        if reason := control_character_problem(value):
            raise ImportOptionError(f"{what} {reason}")
    options = _Options(
        section=_clean_name(section) if section is not None else None,
        authors=_unique_names(author or ()),
        tags=_unique_names(tags or ()),
        status=status,
        published_at=published_at,
        dateline=" ".join(dateline.split()) if dateline is not None else None,
    )
    if options.section == "":
        raise ImportOptionError("the section name is empty")
    if status is not None and status not in Status.values:
        raise ImportOptionError(f"unknown status '{status}'; use one of: {_statuses()}")
    if published_at is not None and not (
        isinstance(published_at, datetime) and timezone.is_aware(published_at)
    ):
        raise ImportOptionError(f"the publication time {published_at} needs a date, a time and a UTC offset")
    names = [("section", options.section)] if options.section else []
    names += [("author", name) for name in options.authors] + [("tag", name) for name in options.tags]
    for kind, name in names:
        if reason := _name_problem(kind, name):
            raise ImportOptionError(reason)
    if reason := _dateline_problem(options.dateline or ""):
        raise ImportOptionError(reason)
    return options


def _clean_name(name):
    return " ".join(str(name).split())


def _unique_names(names):
    """Return ``names`` cleaned of extra spaces, empty ones dropped, each once (ignoring case)."""
    unique = {}
    for name in map(_clean_name, names):
        if name:
            unique.setdefault(name.casefold(), name)
    return list(unique.values())


def _name_problem(kind, name):
    limit = _NAME_FIELDS[kind]._meta.get_field("name").max_length
    if len(name) > limit:
        return f"{kind} name is {len(name)} characters; the limit is {limit}: '{name[:40]}…'"
    return None


def _dateline_problem(dateline):
    limit = Article._meta.get_field("dateline").max_length
    if len(dateline) > limit:
        return f"dateline is {len(dateline)} characters; the limit is {limit}"
    return None


# Phase 3: check the entries against the database (read only).


def _check_against_database(entries, report):
    """Return (the entries of files without a problem, earlier articles as ``_Stored`` by source).

    A file fails when one of its articles asks for a slug that another article has (or had, and
    still redirects from).
    """
    existing = _earlier_imports(entries)
    conflicts = _slug_conflicts([entry for entry in entries if entry.slug], existing)
    if not conflicts:
        return entries, existing
    bad_files = {}
    for entry, reason in conflicts:
        bad_files.setdefault(entry.path, []).append(Notice(entry.path, entry.line_of("slug"), reason))
    for notices in bad_files.values():
        report.fail_file(notices)
    return [entry for entry in entries if entry.path not in bad_files], existing


def _slug_conflicts(entries, existing):
    """Return (entry, reason) for each entry whose slug belongs to another article."""
    conflicts = []
    slugs = [entry.slug for entry in entries]
    holders, redirects = {}, {}
    for start in range(0, len(slugs), _LOOKUP_CHUNK):
        chunk = slugs[start : start + _LOOKUP_CHUNK]
        holders.update(Article.objects.filter(slug__in=chunk).values_list("slug", "pk"))
        redirects.update(
            SlugRedirect.objects.filter(old_slug__in=chunk).values_list("old_slug", "article_id")
        )
    for entry in entries:
        slug = entry.slug
        article = existing.get(entry.key)
        own_pk = article.pk if article is not None else None
        for holder, how in ((holders.get(slug), "is taken by"), (redirects.get(slug), "redirects to")):
            if holder is not None and holder != own_pk:
                headline = Article.objects.filter(pk=holder).values_list("headline", flat=True).first()
                conflicts.append((entry, f"slug '{slug}' {how} another article, “{headline}”"))
                break
    return conflicts


def _earlier_imports(entries):
    """Return the articles earlier imports made from these sources, as ``_Stored`` by (source
    name, source id).

    An exported article that was written here (source ``NEWSROOM_SOURCE``, its id the primary key)
    is found by that key when the article has no source of its own and still has the same slug:
    an export imported back into the database it came from finds its articles.
    """
    ids_by_source = {}
    for source_name, source_id in (entry.key for entry in entries):
        ids_by_source.setdefault(source_name, []).append(source_id)
    found = {}
    for source_name, ids in ids_by_source.items():
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            rows = Article.objects.filter(source_name=source_name, source_id__in=chunk).values_list(
                "source_id", "pk", "slug", "source_checksum"
            )
            for source_id, *stored in rows:
                found[(source_name, source_id)] = _Stored(*stored)
    # Articles made before issue 12, known by their file's stem.
    found.update(
        (key, _Stored(*row))
        for key, row in import_sources.older_imports(entries, found, _LOOKUP_CHUNK).items()
    )
    written_here = {
        int(entry.source_id): entry
        for entry in entries
        if entry.source_name == NEWSROOM_SOURCE
        and entry.key not in found
        and entry.source_id.isdigit()
        and entry.slug
    }
    pks = list(written_here)
    for start in range(0, len(pks), _LOOKUP_CHUNK):
        rows = Article.objects.filter(pk__in=pks[start : start + _LOOKUP_CHUNK], source_id="").values_list(
            "pk", "slug", "source_checksum"
        )
        for stored in (_Stored(*row) for row in rows):
            entry = written_here[stored.pk]
            if stored.slug == entry.slug:
                found[entry.key] = stored
    return found


# Phase 4: write, inside import_paths' transaction.


def _write_all(entries, existing, spool, report, progress, workers):
    """Write the entries that are new or changed, ``WRITE_BATCH`` at a time; report on every one,
    in order. An unchanged entry costs nothing: its plan is not even read back from the spool.

    With ``workers``, the next batch is rendered in them while this one is written.
    """
    writer = _Writer(entries, existing, spool, workers)
    entries = iter(progress(entries, total=len(entries), desc="Writing"))
    pending = None
    while batch := list(islice(entries, WRITE_BATCH)):
        prepared = writer.prepare(batch)
        if pending is not None:
            writer.finish(*pending, report)
        pending = prepared
    if pending is not None:
        writer.finish(*pending, report)


class _Writer:
    """Writes batches of entries; remembers across batches the names and slugs already settled."""

    def __init__(self, entries, existing, spool, workers):
        self.existing = existing
        self.spool = spool
        self.workers = workers
        self.names = _Names()
        self.headline_slugs = _HeadlineSlugs(entries, existing)
        self.now = timezone.now()

    def prepare(self, batch):
        """Return (batch, work, rendered): the (entry, plan, stored article or None) to write, read
        back from the spool, and their bodies' ``_rendered`` values, under way."""
        work = []
        for entry in batch:
            stored = self.existing.get(entry.key)
            if stored is None or stored.checksum != entry.checksum:
                work.append((entry, self.spool.get(entry.spooled), stored))
        bodies = [plan.record.body for _, plan, _ in work]
        if self.workers is not None and bodies:
            rendered = self.workers.map(_rendered, bodies, chunksize=_WORKER_CHUNK)
        else:
            rendered = map(_rendered, bodies)
        return batch, work, rendered

    def finish(self, batch, work, rendered, report):
        """Write a prepared batch and report on each of its entries."""
        written = self._write(work, rendered) if work else {}
        for entry in batch:
            if id(entry) in written:
                report.add_outcome(entry.path, *written[id(entry)])
            else:
                report.add_outcome(entry.path, "unchanged", self.existing[entry.key].slug)

    def _write(self, work, rendered):
        """Write the (entry, plan, stored article or None) of ``work``; return (action, slug) by the
        id of each entry."""
        plans = [plan for _, plan, _ in work]
        self.names.settle(plans)
        stored_articles = Article.objects.in_bulk([stored.pk for _, _, stored in work if stored is not None])
        new, changed, renamed, written, body_texts = [], [], [], {}, {}
        for (entry, plan, stored), body_rendered in zip(work, rendered, strict=True):
            record = plan.record
            if stored is None:
                slug = record.slug or self.headline_slugs.take(record.headline)
                article = Article(slug=slug, status=DEFAULT_STATUS)
                new.append((plan, article))
            else:
                article = stored_articles[stored.pk]
                if record.slug and record.slug != article.slug:
                    renamed.append((article.slug, article))
                changed.append((plan, article))
            _fill(article, plan, self.names.section(plan.section), self.now)
            _derive(article, body_rendered)
            body_texts[id(article)] = body_rendered[2]
            written[id(entry)] = ("created" if stored is None else "updated", article.slug)
        try:
            # A savepoint, so that after a refusal the database can still say whose slug was taken.
            with transaction.atomic():
                self._write_articles(new, changed, renamed, body_texts)
        except IntegrityError as error:  # leaving import_paths' transaction rolls everything back
            raise _WriteConflict(_conflict_notice(new + changed, error)) from None
        return written

    def _write_articles(self, new, changed, renamed, body_texts):
        """Write the (plan, article) pairs ``new`` and ``changed`` and all that hangs on them:
        revisions, the redirects of the (old slug, article) pairs ``renamed``, bylines, tags,
        corrections and search index rows (``body_texts`` by article id)."""
        when = timezone.now()
        if new:
            articles = [article for _, article in new]
            Article.objects.bulk_create(articles)
            Article.history.bulk_history_create(articles, default_date=when, default_change_reason=None)
            # updated_at is auto_now, set by the insert: only a second write can give it the file's time.
            dated = [(plan.record.updated_at, article) for plan, article in new if plan.record.updated_at]
            for updated_at, article in dated:
                article.updated_at = updated_at
            if dated:
                Article.objects.bulk_update([article for _, article in dated], ["updated_at"])
        if changed:
            articles = [article for _, article in changed]
            for plan, article in changed:
                article.updated_at = plan.record.updated_at or when
            Article.objects.bulk_update(articles, _UPDATED_FIELDS)
            Article.history.bulk_history_create(
                articles, update=True, default_date=when, default_change_reason=None
            )
        if renamed:
            _leave_redirects(renamed)
        everything = new + changed
        changed_pks = {article.pk for _, article in changed}
        _set_bylines(
            [(article, [self.names.author(name) for name in plan.authors]) for plan, article in everything],
            changed_pks,
        )
        # A new article without tags has no taggings to set; a changed one may have some to remove.
        _set_tags(
            [
                (article, [self.names.tag(name) for name in plan.tags])
                for plan, article in everything
                if plan.tags or article.pk in changed_pks
            ],
            changed_pks,
        )
        corrected = [(article, plan.record.corrections) for plan, article in everything]
        _set_corrections([(article, items) for article, items in corrected if items is not None], changed_pks)
        # The writes above bypass save() and its signals, so the batch is indexed here, after its tags.
        articles = [article for _, article in everything]
        search.index_articles(articles, [body_texts[id(article)] for article in articles])


def _fill(article, plan, section, now):
    record = plan.record
    # Also for an article found by its primary key: from now on its source finds it.
    article.source_name, article.source_id = record.source_name, record.source_id
    if record.slug:
        article.slug = record.slug
    if record.featured is not None:
        article.featured = record.featured
    article.headline = record.headline
    article.dek = record.dek
    article.body = record.body
    article.section = section
    article.dateline = plan.dateline
    article.status = plan.status or article.status
    if plan.published_at is not None:
        article.published_at = plan.published_at
    elif article.status == Status.PUBLISHED:
        # Keep the original publication time of a story re-imported after a fix.
        article.published_at = article.published_at or now
    else:
        article.published_at = None
    article.source_checksum = plan.checksum


def _rendered(body):
    """Return what saving an article works out from its body: (its HTML and word count, as
    Article.save() does, and the plain text the search index holds). Runs in a worker process for
    a large import."""
    html, word_count = derive_from_body(body)
    return html, word_count, search.plain_text(html)


def _derive(article, rendered):
    """Prepare ``article`` as save() would (the batch writes do not call it), with the body's
    ``_rendered`` values."""
    article.prepare_for_write(rendered[:2])


def _leave_redirects(renamed):
    """For each (old slug, article) leave a redirect from the old slug, as Article.save() does; an
    article taking back a former slug of its own removes that redirect.

    A redirect belongs to its article (SlugRedirect): one that already leads from the old slug to
    another article stays with it, and no other article's is removed. (The check before writing
    refuses a slug that is another article's former one.)
    """
    articles = {article.pk: article for _, article in renamed}
    taking_back = SlugRedirect.objects.filter(
        old_slug__in=[article.slug for article in articles.values()], article_id__in=list(articles)
    ).values_list("pk", "old_slug", "article_id")
    SlugRedirect.objects.filter(
        pk__in=[pk for pk, old_slug, owner in taking_back if articles[owner].slug == old_slug]
    ).delete()
    kept = set(
        SlugRedirect.objects.filter(old_slug__in=[old_slug for old_slug, _ in renamed]).values_list(
            "old_slug", flat=True
        )
    )
    SlugRedirect.objects.bulk_create(
        SlugRedirect(old_slug=old_slug, article=article)
        for old_slug, article in renamed
        if old_slug not in kept
    )


def _set_bylines(bylines, changed_pks):
    """Give each (article, authors) that byline, in order, replacing a changed article's."""
    if changed_pks:
        ArticleAuthor.objects.filter(article_id__in=list(changed_pks)).delete()
    _insert_rows(
        ArticleAuthor,
        ("article", "author", "position"),
        [
            (article.pk, author_pk, position)
            for article, authors in bylines
            for position, author_pk in enumerate(dict.fromkeys(author.pk for author in authors))
        ],
    )


def _set_tags(taggings, changed_pks):
    """Give each (article, tags) exactly those tags, as ``article.tags.set()`` would: a changed
    article keeps the taggings it still has and loses the others."""
    wanted = {article.pk: {tag.pk for tag in tags} for article, tags in taggings}
    have, stale = {}, []
    if changed_pks:
        rows = TaggedArticle.objects.filter(content_object_id__in=list(changed_pks))
        for pk, article_pk, tag_pk in rows.values_list("pk", "content_object_id", "tag_id"):
            if tag_pk in wanted.get(article_pk, ()):
                have.setdefault(article_pk, set()).add(tag_pk)
            else:
                stale.append(pk)
    # Not QuerySet.delete(): it would send a signal per row, each re-indexing its article's tags,
    # which the batch's own indexing does once.
    table = connection.ops.quote_name(TaggedArticle._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(stale), _LOOKUP_CHUNK):
            chunk = stale[start : start + _LOOKUP_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
    _insert_rows(
        TaggedArticle,
        ("content_object", "tag"),
        [
            (article_pk, tag_pk)
            for article_pk, tag_pks in wanted.items()
            for tag_pk in sorted(tag_pks - have.get(article_pk, set()))
        ],
    )


def _insert_rows(model, field_names, rows):
    """Insert ``rows``, tuples of ids for ``field_names``, into ``model``'s table in one call.

    For bylines and taggings, a few hundred thousand of them in a large import: bulk_create would
    build a model instance and compile SQL for every row, which costs several times the insert.
    Like bulk_create, it sends no signals.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    values = ", ".join(["%s"] * len(field_names))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})", rows)


def _set_corrections(corrections, changed_pks):
    """Give each (article, corrections) those corrections, replacing a changed article's."""
    replaced = [article.pk for article, _ in corrections if article.pk in changed_pks]
    if replaced:
        Correction.objects.filter(article_id__in=replaced).delete()
    # bulk_create skips Correction.save(), which would move updated_at to now.
    Correction.objects.bulk_create(
        Correction(article=article, date=item.date, text=item.text)
        for article, items in corrections
        for item in items
    )


def _conflict_notice(pairs, error):
    """Return the notice for a batch the database refused: about the first (plan, article) whose
    slug or source another article holds, or the batch's first when none can be found."""
    culprit = pairs[0][0]
    slugs = dict(Article.objects.filter(slug__in=[a.slug for _, a in pairs]).values_list("slug", "pk"))
    sources = Q()
    for _, article in pairs:
        sources |= Q(source_name=article.source_name, source_id=article.source_id)
    rows = Article.objects.filter(sources).values_list("source_name", "source_id", "pk")
    holders = {(name, source_id): pk for name, source_id, pk in rows}
    for plan, article in pairs:
        # A new article's pk, if set, is from the insert that was rolled back.
        holder_pks = {slugs.get(article.slug), holders.get((article.source_name, article.source_id))}
        if holder_pks - {None, article.pk}:
            culprit = plan
            break
    record = culprit.record
    database_says = str(error).splitlines()[0]
    return Notice(
        record.path,
        record.line,
        f"“{record.headline}” could not be written ({database_says}): another change to the site took "
        "its slug or source meanwhile; nothing was imported, run it again",
    )


class _HeadlineSlugs:
    """Slugs for new articles whose files name none: the headline's, cut at a word to 80
    characters, made unique (-2, -3…) against every article, every old slug that still redirects,
    the slugs the files of this import ask for, and each other."""

    def __init__(self, entries, existing):
        self._entries, self._existing = entries, existing
        self._taken = self._bases = None

    def take(self, headline):
        if self._taken is None:
            self._load()
        base = self._bases[headline]
        slug, number = base, 2
        while slug in self._taken:
            slug, number = f"{base}-{number}", number + 1
        self._taken.add(slug)
        return slug

    def _load(self):
        """Find the slug of each new article's headline, and the slugs taken that it could
        otherwise be given.

        One pass over the site's slugs, keeping only a headline's slug or one with a number after
        it: memory follows the size of the import, not of the site.
        """
        self._bases = {
            entry.headline: _headline_slug(entry.headline)
            for entry in self._entries
            if not entry.slug and entry.key not in self._existing
        }
        bases = set(self._bases.values())
        taken = {entry.slug for entry in self._entries if entry.slug}
        site = chain(
            Article.objects.values_list("slug", flat=True).iterator(chunk_size=5000),
            SlugRedirect.objects.values_list("old_slug", flat=True).iterator(chunk_size=5000),
        )
        for slug in site:
            stem, _, number = slug.rpartition("-")
            if slug in bases or (number.isdigit() and stem in bases):
                taken.add(slug)
        self._taken = taken


def _headline_slug(headline):
    return _cut_slug(slugify(headline), ARTICLE_SLUG_MAX_CHARS) or "article"


def _cut_slug(slug, limit):
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]).strip("-")


class _Names:
    """Sections, authors and tags by name, found (ignoring case) or created, once per import.

    ``settle()`` looks up, a batch at a time, the names not met before: a query per kind and per
    ``_NAME_CHUNK`` new names, and one insert per kind for the names new to the site.
    """

    # The slug a name without letters or digits gets; tags make their own (Tag.slugify).
    _FALLBACK_SLUGS = {Section: "section", Author: "author"}

    def __init__(self):
        self._cache = {}

    def settle(self, plans):
        """Find or create every section, author and tag that ``plans`` name."""
        for model, names in (
            (Section, [plan.section for plan in plans]),
            (Author, [name for plan in plans for name in plan.authors]),
            (Tag, [name for plan in plans for name in plan.tags]),
        ):
            wanted = {}
            for name in names:
                if (model, name.casefold()) not in self._cache:
                    wanted.setdefault(name.casefold(), name)
            if wanted:
                self._find(model, wanted)
                missing = [name for key, name in wanted.items() if (model, key) not in self._cache]
                if missing:
                    self._create(model, missing)

    def section(self, name):
        return self._cache[(Section, name.casefold())]

    def author(self, name):
        return self._cache[(Author, name.casefold())]

    def tag(self, name):
        return self._cache[(Tag, name.casefold())]

    def _find(self, model, wanted):
        names = list(wanted.values())
        for start in range(0, len(names), _NAME_CHUNK):
            query = reduce(or_, (Q(name__iexact=name) for name in names[start : start + _NAME_CHUNK]))
            # The oldest of several that differ only in case, as before this import.
            for found in model.objects.filter(query).order_by("pk"):
                key = found.name.casefold()
                if key in wanted:
                    self._cache.setdefault((model, key), found)

    def _create(self, model, names):
        """Create ``model`` rows for ``names`` with unique slugs: the name's slug, else numbered
        (-2, -3… for sections and authors; -1, -2… for tags, as taggit numbers them)."""
        if model is Tag:
            bases = {name: Tag().slugify(name) for name in names}
            numbered, first = (lambda name, number: Tag().slugify(name, number)), 1
        else:
            limit = model._meta.get_field("slug").max_length - 4
            fallback = self._FALLBACK_SLUGS[model]
            bases = {name: _cut_slug(slugify(name), limit) or fallback for name in names}
            numbered, first = (lambda name, number: f"{bases[name]}-{number}"), 2
        taken = set()
        prefixes = sorted(set(bases.values()))
        for start in range(0, len(prefixes), _NAME_CHUNK):
            query = reduce(or_, (Q(slug__startswith=base) for base in prefixes[start : start + _NAME_CHUNK]))
            taken.update(model.objects.filter(query).values_list("slug", flat=True))
        rows = []
        for name in names:
            slug, number = bases[name], first
            while slug in taken:
                slug, number = numbered(name, number), number + 1
            taken.add(slug)
            rows.append(model(name=name, slug=slug))
        for row in model.objects.bulk_create(rows):
            self._cache[(model, row.name.casefold())] = row
