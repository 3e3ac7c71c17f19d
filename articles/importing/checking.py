"""The checks: of the options, once, before any file is read; of each article as it is planned
(``_plan``: the file's values, then the options, then the defaults) and against the articles read
before it (phase 2, called by ``reading``); of the entries against the database (phase 3); and
the warnings of the files still to be imported.

Imports from ``report``, ``naming``, ``matching`` and ``pictures``.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.utils import timezone

from articles.autotag import Vocabulary
from articles.importers import ArticleRecord, ImportProblem, Notice, control_character_problem
from articles.importing.matching import _earlier_imports, _slug_conflicts
from articles.importing.naming import _clean_name, _unique_names
from articles.importing.pictures import check_pictures
from articles.importing.report import ImportOptionError
from articles.models import Article, Author, Section, Status, Tag

# A file and no option naming a section: the article still needs one (Article.section is required).
DEFAULT_SECTION = "News"


@dataclass(frozen=True)
class _Options:
    section: str | None
    authors: list[str]
    tags: list[str]
    status: str | None
    published_at: datetime | None
    dateline: str | None
    vocabulary: Vocabulary | None = None
    # A WordPress export's uploads folder (--uploads), and the folder the pictures' checked bytes
    # wait in until they are written (made by import_paths).
    uploads: Path | None = None
    picture_spool: str | None = None


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
    # The pictures the record names, checked (articles.picture_files.NamedPicture): its lead
    # picture, and (offset of the placeholder in the body, picture) for each in its body.
    image: object = None
    body_pictures: list = field(default_factory=list)

    @property
    def key(self):
        return (self.record.source_name, self.record.source_id)


def _statuses():
    return ", ".join(Status.values)


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
    _check_embargo(record, plan)
    # Last, as they cost the most: each picture file is read and decoded.
    plan.image, plan.body_pictures = check_pictures(record, options.picture_spool)
    plan.checksum = _checksum(plan)
    if record.legacy_source_id not in (None, record.source_id):
        plan.legacy_checksum = _checksum(plan, source_id=record.legacy_source_id)
    return plan


def _check_embargo(record, plan):
    """Raise ``ImportProblem`` when the file publishes its story before its own embargo (the
    embargo a story already has here is checked as it is written)."""
    embargo = record.embargoed_until
    if embargo is None or plan.status != Status.PUBLISHED:
        return
    if plan.published_at is None:
        if embargo > timezone.now():
            raise ImportProblem(
                record.path,
                record.line_of("embargoed_until"),
                f"embargoed until {embargo.isoformat()}, but published with no published_at goes "
                "out now; give a published_at at the embargo or later to schedule it",
            )
    elif plan.published_at < embargo:
        given = "published_at" if record.published_at is not None else "embargoed_until"
        raise ImportProblem(
            record.path,
            record.line_of(given),
            f"published_at {plan.published_at.isoformat()} is before the embargo, "
            f"{embargo.isoformat()}: an embargoed story can be scheduled for then or later, not "
            "published before",
        )


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
    if record.embargoed_until is not None:
        payload["embargoed_until"] = _utc(record.embargoed_until)
    if record.corrections is not None:
        payload["corrections"] = [[_utc(item.date), item.text] for item in record.corrections]
    # A picture by its bytes and texts: the same file moved elsewhere is no change.
    if plan.image is not None:
        payload["image"] = [plan.image.checksum, *plan.image.texts]
    if plan.body_pictures:
        payload["body_pictures"] = [[picture.checksum, *picture.texts] for _, picture in plan.body_pictures]
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def _utc(moment):
    return moment.astimezone(UTC).isoformat() if moment else None


# Options: checked once, before any file is read.

_NAME_FIELDS = {"section": Section, "author": Author, "tag": Tag}


def _check_options(section, author, tags, status, published_at, dateline, uploads=None):
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
        uploads=Path(uploads) if uploads is not None else None,
    )
    if options.uploads is not None and not options.uploads.is_dir():
        what = "is not a folder" if options.uploads.exists() else "does not exist"
        raise ImportOptionError(
            f"the uploads folder (--uploads) {options.uploads} {what}; give the export's wp-content/uploads"
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
