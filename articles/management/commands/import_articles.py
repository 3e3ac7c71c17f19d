"""``import_articles``: bring stories in from files. The work is ``articles.importing.import_paths``."""

import sys
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles import planner
from articles.importers import printable
from articles.importing import DEFAULT_SECTION, ImportOptionError, import_paths
from articles.models import Status

# Below this many files a progress bar is only flicker.
PROGRESS_MIN_FILES = 50


class Command(BaseCommand):
    help = (
        "Import articles from files or folders (searched recursively; hidden files are ignored). "
        "Formats by extension: .txt plain text; .md Markdown with YAML front matter; .json our "
        "JSON (what export_articles writes: one article object or a list); .xml a WordPress "
        "export (WXR), whose posts become articles (pages and attachments are skipped). A "
        "Markdown or JSON article names its lead picture with image (a file beside it), "
        "image_alt, image_caption and image_credit; a WordPress post's featured image and "
        "[caption] pictures come from the export's uploads folder (--uploads). The "
        "options fill in what a file leaves out; a file's own value wins. Every file is checked "
        "before anything is written: one bad file means nothing is imported unless --keep-going "
        "is given, and either way the command exits non-zero and prints path:line: reason for "
        "each problem. Re-importing a file updates the article it made before, or leaves it "
        "alone when nothing changed. Sections, authors and tags are created when missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", type=Path, metavar="PATH", help="a file, or a folder to search"
        )
        parser.add_argument(
            "--section",
            metavar="NAME",
            help=f"section for articles whose file names none (default: {DEFAULT_SECTION})",
        )
        parser.add_argument(
            "--author",
            metavar="NAME",
            action="append",
            help="a name for the byline; repeat it for several authors, in byline order "
            '(--author "Ana Ruiz" --author "Wang Yi"). Commas are part of a name, not separators',
        )
        parser.add_argument("--tags", metavar='"A,B"', help='topic tags, comma-separated: "China,Trade"')
        parser.add_argument(
            "--status",
            choices=Status.values,
            help="default: new articles are drafts and re-imported ones keep their status. "
            "A plain-text file without a headline is always kept as a draft",
        )
        parser.add_argument(
            "--published-at",
            metavar="ISO8601",
            help="publication time with a UTC offset or Z, e.g. 2023-06-18T09:30:00+08:00 "
            "(default: now, for published articles that have none)",
        )
        parser.add_argument("--dateline", metavar="PLACE", help="where the story was filed, e.g. BEIJING")
        parser.add_argument(
            "--auto-tag",
            action="store_true",
            help="also tag each article with the topics whose name or alias is in its headline, dek "
            "or body (the tags in the database and their aliases; load_vocabulary loads the desk's)",
        )
        parser.add_argument(
            "--uploads",
            metavar="DIR",
            type=Path,
            help="a WordPress export's uploads folder (its wp-content/uploads): each post's featured "
            "image becomes its lead picture and each [caption] picture a picture in its body, from "
            "the file under DIR that its address names. Without it they are left out, with a "
            "warning; nothing is ever downloaded",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything (pictures too), write nothing"
        )
        parser.add_argument(
            "--keep-going", action="store_true", help="import the good files even when others fail"
        )

    def handle(
        self, *args, paths, section, author, tags, status, published_at, dateline, auto_tag=False, **options
    ):
        try:
            report = import_paths(
                paths,
                section=section,
                author=author,
                tags=tags,
                status=status,
                published_at=parse_published_at(published_at),
                dateline=dateline,
                auto_tag=auto_tag,
                dry_run=options["dry_run"],
                keep_going=options["keep_going"],
                progress=self.progress if options["verbosity"] else None,
                uploads=options.get("uploads"),
            )
        except ImportOptionError as error:
            raise CommandError(error) from None
        self.print_report(report, options["verbosity"])
        if not options["dry_run"] and report.created + report.updated >= planner.AFTER_WRITES:
            planner.refresh_statistics()
        if report.problems:
            raise CommandError(failure_message(report, options["keep_going"]))

    def print_report(self, report, verbosity):
        for problem in report.problems:
            self.stderr.write(str(problem))
        for skip in report.skips:
            self.stderr.write(str(skip))
        for warning in report.warnings:
            self.stderr.write(
                printable(f"{warning.path}:{warning.line}: warning: {warning.reason}"), self.style.WARNING
            )
        if verbosity >= 2:
            for outcome in report.outcomes:
                self.stdout.write(printable(f"{outcome.action}: {outcome.path} → {outcome.slug}"))
        self.stdout.write(report.summary())

    def progress(self, iterable, *, total, desc):
        # sys.stderr rather than self.stderr, which would end each of tqdm's carriage-return
        # redraws with a newline. disable=None also turns the bar off when stderr is not a terminal.
        disable = True if total < PROGRESS_MIN_FILES else None
        return tqdm(
            iterable, total=total, desc=desc, unit="file", file=sys.stderr, leave=False, disable=disable
        )


def parse_published_at(value):
    """Return ``value`` as an aware datetime, or None; raise CommandError unless it is ISO 8601 with
    a UTC offset (a time without one would be read in the server's zone: a silent guess)."""
    if value is None:
        return None
    example = "write it like 2023-06-18T09:30:00+08:00 or 2023-06-18T01:30:00Z"
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--published-at '{value}' is not an ISO 8601 date and time; {example}") from None
    if moment.tzinfo is None:
        raise CommandError(f"--published-at '{value}' has no UTC offset; {example}")
    return moment


def failure_message(report, keep_going):
    """Return the CommandError text for a run in which some files failed."""
    failed = _files(report.failed)
    if keep_going:
        return f"{failed} failed; the others {'would be' if report.dry_run else 'were'} imported"
    nothing = "nothing would be imported" if report.dry_run else "nothing was imported"
    if report.held_back:
        return f"{failed} failed; {nothing} (--keep-going imports the {_files(report.held_back, 'good ')})"
    return f"{failed} failed; {nothing}"


def _files(count, kind=""):
    return f"{count} {kind}file" if count == 1 else f"{count} {kind}files"
