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
"""

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.autotag import Vocabulary
from articles.importers import FORMATS, ArticleRecord, ImportProblem, Notice, parse_file
from articles.models import Article, ArticleAuthor, Author, Correction, Section, SlugRedirect, Status, Tag

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

    def add_outcome(self, plan, action, slug):
        setattr(self, action, getattr(self, action) + 1)
        self.outcomes.append(Outcome(plan.record.path, action, slug))

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

    @property
    def key(self):
        return (self.record.source_name, self.record.source_id)


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

    files = _find_files([paths] if isinstance(paths, str | Path) else paths, report)
    plans, file_warnings = _read_all(files, options, report, progress)
    # The database is read (never written) while checking: which article each source made before,
    # which slugs are taken. The writes then run in a transaction of their own.
    plans, existing = _check_against_database(plans, report)
    report.warnings.extend(_warnings(plans, file_warnings, report))
    if report.problems and not keep_going:
        report.held_back = len({plan.record.path for plan in plans})
        return report
    if plans:
        try:
            with transaction.atomic():
                _write_all(plans, existing, report, progress)
                if dry_run:
                    transaction.set_rollback(True)
        except _WriteConflict as conflict:
            report.undo_outcomes()
            report.fail(conflict.notice)
    return report


# Phase 1: find the files.


def _find_files(paths, report):
    """Return the article files under ``paths`` in a stable order, each once."""
    found, seen = [], set()
    for path in map(Path, paths):
        if path.is_dir():
            files = _article_files_in(path, report)
            if not files:
                report.fail(Notice(path, 1, f"no articles in this folder (no {_extensions()} files)"))
        elif path.is_file():
            files = [path]
        elif path.exists():
            report.fail(Notice(path, 1, "not a regular file or a folder"))
            continue
        else:
            report.fail(Notice(path, 1, "no such file or folder"))
            continue
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append(file)
    return found


def _article_files_in(folder, report):
    """Return the files in ``folder`` and below with an import format's extension.

    Hidden files and folders (a leading dot: .git, .DS_Store, editor swap files) are passed over
    silently; other files are counted as skipped.
    """
    files = []

    def unreadable(error):
        report.fail(Notice(Path(error.filename), 1, f"cannot read the folder: {error.strerror}"))

    for root, folders, names in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root, name)
            if path.suffix.lower() in FORMATS and path.is_file():
                files.append(path)
            else:
                report.skipped += 1
    return files


def _extensions():
    return ", ".join(sorted(FORMATS))


def _statuses():
    return ", ".join(Status.values)


# Phase 2: read, parse and check every file before anything is written.


def _read_all(files, options, report, progress):
    """Return (the plans of the files without a problem, each such file's own warnings)."""
    plans, sources, slugs, file_warnings = [], {}, {}, {}
    for path in progress(files, total=len(files), desc="Reading"):
        try:
            parsed = parse_file(path)
        except ImportProblem as problem:
            report.fail(problem.as_notice())
            continue
        problems, file_plans = list(parsed.problems), []
        file_sources, file_slugs = {}, {}
        for record in parsed.records:
            try:
                plan = _plan(record, options)
                _check_unique(plan, (sources, file_sources), (slugs, file_slugs))
            except ImportProblem as problem:
                problems.append(problem.as_notice())
                continue
            file_sources[plan.key] = record
            if record.slug:
                file_slugs[record.slug] = record
            file_plans.append(plan)
        if problems:
            report.fail_file(sorted(problems, key=lambda notice: notice.line))
            continue
        sources.update(file_sources)
        slugs.update(file_slugs)
        report.skipped += parsed.skipped
        file_warnings[path] = parsed.warnings
        plans.extend(file_plans)
    return plans, file_warnings


def _warnings(plans, file_warnings, report):
    """Return the warnings of the files still to be imported: by file, then by line."""
    by_file = {path: list(warnings) for path, warnings in file_warnings.items()}
    for plan in plans:
        by_file[plan.record.path].extend(plan.record.warnings)
    failed = {problem.path for problem in report.problems}
    return [
        warning
        for path, warnings in by_file.items()
        if path not in failed
        for warning in sorted(warnings, key=lambda notice: notice.line)
    ]


def _check_unique(plan, sources, slugs):
    """Raise ``ImportProblem`` when an article read before in this import has the same source or
    asks for the same slug. ``sources`` and ``slugs`` are dicts (earlier files', this file's) of
    the records read so far."""
    record = plan.record
    other = next((found[plan.key] for found in sources if plan.key in found), None)
    if other is not None:
        hint = (
            "give each article its own source_id"
            if record.source_id_given
            else "an article is matched by its file name, so rename one of them"
        )
        raise ImportProblem(
            record.path,
            record.line_of("source_id"),
            f"same source id '{record.source_id}' as {_place(other, 'source_id')}; {hint}",
        )
    other = next((found[record.slug] for found in slugs if record.slug in found), None)
    if record.slug and other is not None:
        raise ImportProblem(
            record.path,
            record.line_of("slug"),
            f"slug '{record.slug}' is also the slug of {_place(other, 'slug')}",
        )


def _place(record, field_name):
    """Return "path:line" of ``record``'s field, or only the path when that is the whole file."""
    line = record.line_of(field_name)
    return f"{record.path}:{line}" if line > 1 else str(record.path)


def _plan(record, options):
    """Return the ``_Plan`` for ``record``: file values first, then options, then defaults."""
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
    return plan


def _checksum(plan):
    """Return the sha256 of everything the import decides about the article, options included."""
    record = plan.record
    payload = {
        "source": [record.source_name, record.source_id],
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


# Phase 3: check the plans against the database (read only).


def _check_against_database(plans, report):
    """Return (the plans of files without a problem, earlier articles by source).

    A file fails when one of its articles asks for a slug that another article has (or had, and
    still redirects from).
    """
    existing = _earlier_imports(plans)
    conflicts = _slug_conflicts([plan for plan in plans if plan.record.slug], existing)
    if not conflicts:
        return plans, existing
    bad_files = {}
    for plan, reason in conflicts:
        bad_files.setdefault(plan.record.path, []).append(
            Notice(plan.record.path, plan.record.line_of("slug"), reason)
        )
    for notices in bad_files.values():
        report.fail_file(notices)
    return [plan for plan in plans if plan.record.path not in bad_files], existing


def _slug_conflicts(plans, existing):
    """Return (plan, reason) for each plan whose slug belongs to another article."""
    conflicts = []
    slugs = [plan.record.slug for plan in plans]
    holders, redirects = {}, {}
    for start in range(0, len(slugs), _LOOKUP_CHUNK):
        chunk = slugs[start : start + _LOOKUP_CHUNK]
        holders.update(Article.objects.filter(slug__in=chunk).values_list("slug", "pk"))
        redirects.update(
            SlugRedirect.objects.filter(old_slug__in=chunk).values_list("old_slug", "article_id")
        )
    for plan in plans:
        slug = plan.record.slug
        article = existing.get(plan.key)
        own_pk = article.pk if article is not None else None
        for holder, how in ((holders.get(slug), "is taken by"), (redirects.get(slug), "redirects to")):
            if holder is not None and holder != own_pk:
                headline = Article.objects.filter(pk=holder).values_list("headline", flat=True).first()
                conflicts.append((plan, f"slug '{slug}' {how} another article, “{headline}”"))
                break
    return conflicts


def _earlier_imports(plans):
    """Return the articles earlier imports made from these sources, by (source name, source id).

    An exported article that was written here (source ``NEWSROOM_SOURCE``, its id the primary key)
    is found by that key when the article has no source of its own and still has the same slug:
    an export imported back into the database it came from finds its articles.
    """
    ids_by_source = {}
    for source_name, source_id in (plan.key for plan in plans):
        ids_by_source.setdefault(source_name, []).append(source_id)
    found = {}
    for source_name, ids in ids_by_source.items():
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            for article in Article.objects.filter(source_name=source_name, source_id__in=chunk):
                found[(article.source_name, article.source_id)] = article
    written_here = {
        int(plan.record.source_id): plan
        for plan in plans
        if plan.record.source_name == NEWSROOM_SOURCE
        and plan.key not in found
        and plan.record.source_id.isdigit()
        and plan.record.slug
    }
    pks = list(written_here)
    for start in range(0, len(pks), _LOOKUP_CHUNK):
        for article in Article.objects.filter(pk__in=pks[start : start + _LOOKUP_CHUNK], source_id=""):
            plan = written_here[article.pk]
            if article.slug == plan.record.slug:
                found[plan.key] = article
    return found


# Phase 4: write, inside import_paths' transaction.


def _write_all(plans, existing, report, progress):
    names = _Names()
    # Slugs the files ask for are theirs: a slug made from a headline must not take one.
    batch_slugs = {plan.record.slug for plan in plans if plan.record.slug}
    now = timezone.now()
    for plan in progress(plans, total=len(plans), desc="Writing"):
        record = plan.record
        article = existing.get(plan.key)
        if article is not None and article.source_checksum == plan.checksum:
            report.add_outcome(plan, "unchanged", article.slug)
            continue
        is_new = article is None
        if is_new:
            article = Article(
                slug=record.slug or _new_article_slug(record.headline, batch_slugs),
                status=DEFAULT_STATUS,
            )
        _fill(article, plan, names.section(plan.section), now)
        try:
            article.save()
        except IntegrityError as error:  # leaving import_paths' transaction rolls everything back
            database_says = str(error).splitlines()[0]
            raise _WriteConflict(
                Notice(
                    record.path,
                    record.line,
                    f"“{record.headline}” could not be written ({database_says}): another change to "
                    "the site took its slug or source meanwhile; nothing was imported, run it again",
                )
            ) from None
        _set_byline(article, [names.author(name) for name in plan.authors], is_new)
        if plan.tags or not is_new:
            article.tags.set([names.tag(name) for name in plan.tags])
        if record.corrections is not None:
            _set_corrections(article, record.corrections, is_new)
        if record.updated_at is not None:
            # updated_at is auto_now: only an update after the save can give it the file's time.
            Article.objects.filter(pk=article.pk).update(updated_at=record.updated_at)
        report.add_outcome(plan, "created" if is_new else "updated", article.slug)


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


def _set_byline(article, authors, is_new):
    if not is_new:
        article.bylines.all().delete()
    unique = list({author.pk: author for author in authors}.values())
    ArticleAuthor.objects.bulk_create(
        ArticleAuthor(article=article, author=author, position=position)
        for position, author in enumerate(unique)
    )


def _set_corrections(article, corrections, is_new):
    # bulk_create skips Correction.save(), which would move updated_at to now.
    if not is_new:
        article.corrections.all().delete()
    Correction.objects.bulk_create(
        Correction(article=article, date=correction.date, text=correction.text) for correction in corrections
    )


def _new_article_slug(headline, batch_slugs):
    """Return a slug for a new article: its headline's, cut at a word to 80 characters, made unique
    against every article, every old slug that still redirects, and this batch (-2, -3…)."""
    base = _cut_slug(slugify(headline), ARTICLE_SLUG_MAX_CHARS) or "article"
    taken = batch_slugs | set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= set(SlugRedirect.objects.filter(old_slug__startswith=base).values_list("old_slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    batch_slugs.add(slug)
    return slug


def _cut_slug(slug, limit):
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]).strip("-")


class _Names:
    """Sections, authors and tags by name, found (ignoring case) or created, once per import."""

    def __init__(self):
        self._cache = {}

    def section(self, name):
        return self._get(Section, name, "section")

    def author(self, name):
        return self._get(Author, name, "author")

    def tag(self, name):
        return self._get(Tag, name, None)

    def _get(self, model, name, fallback_slug):
        key = (model, name.casefold())
        if key not in self._cache:
            found = model.objects.filter(name__iexact=name).order_by("pk").first()
            if found is None and fallback_slug is None:
                # Tag.save() makes the slug (and its own -1, -2 for clashes).
                found = model.objects.create(name=name)
            elif found is None:
                limit = model._meta.get_field("slug").max_length - 4
                base = _cut_slug(slugify(name), limit) or fallback_slug
                found = model.objects.create(name=name, slug=_unique_slug(model, base))
            self._cache[key] = found
        return self._cache[key]


def _unique_slug(model, base):
    slug, number = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug
