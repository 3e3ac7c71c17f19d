"""``export_articles``: write articles out for ``import_articles``. The work is
``articles.exporting.export_articles``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.exporting import FORMATS, JSON_FILE_NAME, ExportError, export_articles


class Command(BaseCommand):
    help = (
        "Export articles into OUT_DIR (created if missing; it must be empty) in a format that "
        "import_articles reads back as the same articles. --format md (the default) writes one "
        "file per article, <slug>.md: YAML front matter (title, slug, dek, section, authors, tags, "
        "dateline, status, published_at, updated_at, featured, source_name, source_id, "
        f"corrections), a blank line, then the Markdown body. --format json writes one file, "
        f"{JSON_FILE_NAME}: a list of article objects with the same keys plus body. A story's lead "
        "picture is written as stored into images/ (named by its checksum), with the keys image "
        "(its path), image_alt, image_caption and image_credit. Articles are "
        "in slug order and times in UTC, so the same articles always give the same bytes. Every "
        "article is exported, drafts, articles in review and scheduled ones included, unless "
        "--public-only is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="an empty or new folder")
        parser.add_argument("--format", choices=FORMATS, default="md", help="md (default) or json")
        parser.add_argument(
            "--public-only", action="store_true", help="only what readers can see: published, time reached"
        )

    def handle(self, *args, out_dir, format, public_only, **options):
        try:
            report = export_articles(out_dir, format=format, public_only=public_only)
        except ExportError as error:
            raise CommandError(error) from None
        self.stdout.write(report.summary())
