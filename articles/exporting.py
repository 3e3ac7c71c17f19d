"""Write articles out in the formats ``import_articles`` reads, so an export imports back as the
same articles (DESIGN.md, "Commands").

``export_articles()`` is the whole job; the ``export_articles`` command parses its arguments and
prints the result. Output is deterministic: articles in slug order, keys in a fixed order (JSON:
sorted), times in UTC, so exporting, importing into an empty database and exporting again gives
the same bytes.

- ``md``: one file per article, ``<slug>.md``: YAML front matter, a blank line, the Markdown body.
- ``json``: one file, ``articles.json``: a list of article objects, the body under ``body``.

A story that leads with a picture has its original, as the picture library stores it, written
beside it in ``images/``, named by the start of its checksum (``images/3f2a….jpg``: the same picture
leading several stories is written once, and the name changes only with the bytes), and the keys
``image`` (that path, relative to the story's file), ``image_alt``, ``image_caption`` and
``image_credit`` after ``corrections``. The library keeps a clean picture's bytes as they came, so importing
the export gives back the same picture, and exporting again the same bytes.

A story with an embargo carries ``embargoed_until`` after ``published_at``; one without leaves
the key out, so its export reads as before embargoes existed.

Each article keeps its source (``source_name`` and ``source_id``), so importing an export finds the
articles it came from. One written here, with no source, gets ``NEWSROOM_SOURCE`` and its primary key.
"""

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import yaml
from django.db.models import Prefetch

from articles import picture_files
from articles.importers.fields import KEYS
from articles.importing import NEWSROOM_SOURCE
from articles.models import Article, ArticleAuthor, Correction

FORMATS = ("md", "json")
JSON_FILE_NAME = "articles.json"
# Where the pictures go, inside the export's folder.
IMAGES_FOLDER = "images"
# Hex digits of a picture's checksum in its file name: as many as the library's own names have.
PICTURE_NAME_DIGITS = 20


class ExportError(ValueError):
    """An export that cannot start: an unknown format, or a folder that is a file or not empty."""


@dataclass
class ExportReport:
    """What an export wrote: how many articles, into which files."""

    folder: Path
    articles: int = 0
    files: list[Path] = field(default_factory=list)
    pictures: list[Path] = field(default_factory=list)

    def summary(self):
        """Return e.g. "Exported 2 articles to 2 files in out", or with pictures "Exported 2
        articles to 2 files and 1 picture in out"."""
        noun = "article" if self.articles == 1 else "articles"
        files = "1 file" if len(self.files) == 1 else f"{len(self.files)} files"
        if self.pictures:
            count = len(self.pictures)
            files += f" and {count} picture{'s' * (count != 1)}"
        return f"Exported {self.articles} {noun} to {files} in {self.folder}"


def export_articles(out_dir, *, format="md", public_only=False):
    """Write every article (or, with ``public_only``, only what readers can see) into ``out_dir``.

    ``out_dir`` is created if missing. Returns an ``ExportReport``. Raises ``ExportError`` for an
    unknown format, or when ``out_dir`` is a file or a folder that already holds something: a file
    left from an earlier export would be imported with this one, bringing back deleted articles.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown format '{format}'; use one of: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty; export into a new or empty folder")
    out_dir.mkdir(parents=True, exist_ok=True)

    queryset = Article.objects.published() if public_only else Article.objects.all()
    stories = list(_for_export(queryset))
    originals = picture_files.lead_originals([article.pk for article in stories])
    articles = [article_fields(article, originals.get(article.pk)) for article in stories]
    report = ExportReport(out_dir, articles=len(articles))
    pictures = {}
    for article in stories:
        if (original := originals.get(article.pk)) is not None:
            pictures.setdefault(picture_path(original), (original, article.slug))
    for name, (original, slug) in sorted(pictures.items()):
        report.pictures.append(_copy_picture(original, out_dir / name, slug))
    if format == "json":
        report.files.append(_write(out_dir / JSON_FILE_NAME, to_json(articles)))
    else:
        for fields in articles:
            report.files.append(_write(out_dir / f"{fields['slug']}.md", to_markdown(fields)))
    return report


def article_fields(article, original=None):
    """Return ``article`` as the fields of the import formats: ``KEYS``, in that order, then
    ``body``; the image keys only with ``original``, its lead picture (``picture_files.Original``),
    and ``embargoed_until`` only for a story under an embargo (lifted or not).

    Uses the article's prefetched section, bylines, tags and corrections.
    """
    source_name, source_id = article.source_name, article.source_id
    if not source_id:
        source_name, source_id = NEWSROOM_SOURCE, str(article.pk)
    values = {
        "title": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "section": article.section.name,
        "authors": [byline.author.name for byline in article.bylines.all()],
        "tags": sorted((tag.name for tag in article.tags.all()), key=lambda name: (name.casefold(), name)),
        "dateline": article.dateline,
        "status": article.status,
        "published_at": _utc(article.published_at),
        "embargoed_until": _utc(article.embargoed_until),
        "updated_at": _utc(article.updated_at),
        "featured": article.featured,
        "source_name": source_name or NEWSROOM_SOURCE,
        "source_id": source_id,
        "corrections": [
            {"date": _utc(correction.date), "text": correction.text}
            for correction in article.corrections.all()
        ],
    }
    if original is not None:
        values.update(
            image=picture_path(original),
            image_alt=original.alt,
            image_caption=original.caption,
            image_credit=original.credit,
        )
    if article.embargoed_until is None:
        del values["embargoed_until"]  # written only for a story that has one, like its picture
    fields = {key: values[key] for key in KEYS if key in values}
    fields["body"] = article.body
    return fields


def picture_path(original):
    """Where a lead picture's original goes in an export, from the export's folder (and so from
    each story's file): ``images/<the start of its checksum>.<extension>``."""
    return f"{IMAGES_FOLDER}/{original.checksum[:PICTURE_NAME_DIGITS]}.{original.extension}"


def to_markdown(fields):
    """Return the Markdown file for an article's ``fields``: front matter, blank line, body."""
    front_matter = {key: value for key, value in fields.items() if key != "body"}
    yaml_text = yaml.dump(
        front_matter,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    return f"---\n{yaml_text}---\n\n{fields['body']}"


def to_json(articles):
    """Return the JSON file for a list of articles' fields: sorted keys, two-space indent."""
    return json.dumps(articles, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _for_export(queryset):
    return (
        queryset.select_related("section")
        .prefetch_related(
            Prefetch(
                "bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("position", "pk")
            ),
            "tags",
            Prefetch("corrections", queryset=Correction.objects.order_by("date", "pk")),
        )
        .order_by("slug")
    )


def _utc(moment):
    return moment.astimezone(UTC).isoformat() if moment else None


def _copy_picture(original, path, slug):
    path.parent.mkdir(exist_ok=True)
    try:
        with original.open() as stored, path.open("wb") as out:
            shutil.copyfileobj(stored, out)
    except OSError as error:
        raise ExportError(
            f"the lead picture of '{slug}' cannot be read from the picture library: {error}"
        ) from None
    return path


def _write(path, text):
    # newline="" keeps the body's own line ends (an admin-typed body has CRLF) byte for byte.
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(text)
    return path


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        # Two articles' empty tag lists are not "the same" list: never write &id001 / *id001.
        return True
