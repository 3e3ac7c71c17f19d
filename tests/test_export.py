"""``export_articles``: the files it writes, and the round trip through ``import_articles``."""

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles.exporting import article_fields, export_articles
from articles.importers.fields import EMBARGO_KEYS, IMAGE_KEYS, KEYS
from articles.importing import import_paths
from articles.models import Article, Author, Correction, Section, SlugRedirect, Status, Tag

SEED_000 = Path(__file__).parent / "fixtures" / "seeds" / "000_036b39410185443a.txt"
# The keys of a story without a lead picture or an embargo (those keys are written only when set).
NO_IMAGE_KEYS = tuple(key for key in KEYS if key not in (*IMAGE_KEYS, *EMBARGO_KEYS))


@pytest.fixture
def desk(db, make_article):
    """One article in every state, written here and imported, with everything an article carries."""
    now = timezone.now().replace(microsecond=123456)
    lead = make_article(
        "Blinken Lands in Beijing",
        slug="blinken-lands-in-beijing",
        section="Diplomacy",
        authors=("Wang Yi", "Ana Ruiz"),
        tags=("Trade", "china", "Antony Blinken"),
        dek="The first visit in five years.",
        dateline="BEIJING",
        featured=True,
        published_at=now - timedelta(days=3),
        # As the admin stores it: CRLF line ends, no final newline.
        body="The visit comes after **months** of tension.\r\n\r\n## What Is at Stake\r\n\r\nTrade.",
    )
    Correction.objects.create(article=lead, date=now - timedelta(days=2), text="A name was misspelt.")
    Correction.objects.create(article=lead, date=now - timedelta(days=1), text="The day was wrong.")
    make_article("Notes in Progress", slug="notes", status=Status.DRAFT, published_at=None, authors=())
    make_article("Check This", slug="check-this", status=Status.REVIEW, published_at=None, section="World")
    make_article("Summit Next Year", slug="summit", published_at=now + timedelta(days=30), dek="Yes")
    import_paths([SEED_000], section="Diplomacy", author="Foreign Desk", status="published")
    # Distinct updated times, each one a value the round trip has to carry.
    for number, article in enumerate(Article.objects.order_by("pk")):
        Article.objects.filter(pk=article.pk).update(updated_at=now - timedelta(hours=number, microseconds=7))
    return Article.objects.count()


def snapshot():
    """Every article as a reader and an editor see it, by slug."""
    return {
        article.slug: {
            "headline": article.headline,
            "dek": article.dek,
            "body": article.body,
            "body_html": article.body_html,
            "section": article.section.name,
            "authors": [author.name for author in article.byline_authors],
            "tags": sorted(article.tags.names()),
            "dateline": article.dateline,
            "status": article.status,
            "state": article.state,
            "published_at": article.published_at,
            "updated_at": article.updated_at,
            "featured": article.featured,
            "corrections": [(c.date, c.text) for c in article.corrections.all()],
        }
        for article in Article.objects.all()
    }


def files_of(folder):
    return {path.name: path.read_bytes() for path in sorted(Path(folder).iterdir())}


def empty_the_database():
    Article.objects.all().delete()
    for model in (Section, Author, Tag):
        model.objects.all().delete()
    assert not SlugRedirect.objects.exists() and not Correction.objects.exists()


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_import_into_an_empty_database_export_again_is_the_same(desk, tmp_path, fmt):
    before = snapshot()
    export_articles(tmp_path / "first", format=fmt)
    empty_the_database()

    report = import_paths([tmp_path / "first"])
    export_articles(tmp_path / "second", format=fmt)

    assert report.summary() == f"{desk} created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert not report.warnings
    assert snapshot() == before
    assert files_of(tmp_path / "second") == files_of(tmp_path / "first")


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_importing_an_export_into_its_own_database_duplicates_nothing(desk, tmp_path, fmt):
    before = snapshot()
    export_articles(tmp_path / "out", format=fmt)

    report = import_paths([tmp_path / "out"])

    assert report.created == 0 and not report.problems
    assert report.updated + report.unchanged == desk
    assert snapshot() == before
    assert import_paths([tmp_path / "out"]).unchanged == desk


def test_markdown_export_is_one_file_per_article_named_by_slug(desk, tmp_path):
    report = export_articles(tmp_path / "out")

    assert sorted(path.name for path in report.files) == [
        "blinken-lands-in-beijing.md",
        "check-this.md",
        "notes.md",
        "summit.md",
        "us-secretary-of-state-blinken-arrives-in-china-for-high-stakes-discussions.md",
    ]
    assert report.summary() == f"Exported 5 articles to 5 files in {tmp_path / 'out'}"


def test_markdown_file_reads_as_front_matter_then_body(db, make_article, tmp_path):
    article = make_article(
        "Yes",
        slug="yes",
        section="World",
        tags=("Trade", "china"),
        published_at=datetime(2023, 6, 18, 1, 30, tzinfo=UTC),
        body="Body **text**.\n",
    )
    Article.objects.filter(pk=article.pk).update(updated_at=datetime(2023, 6, 19, tzinfo=UTC))
    Correction.objects.bulk_create(
        [Correction(article=article, date=datetime(2023, 6, 20, tzinfo=UTC), text="Fixed.")]
    )

    export_articles(tmp_path / "out")

    assert (tmp_path / "out" / "yes.md").read_text() == (
        "---\n"
        "title: 'Yes'\n"
        "slug: 'yes'\n"
        "dek: ''\n"
        "section: World\n"
        "authors:\n"
        "- Ana Ruiz\n"
        "tags:\n"
        "- china\n"
        "- Trade\n"
        "dateline: ''\n"
        "status: published\n"
        "published_at: '2023-06-18T01:30:00+00:00'\n"
        "updated_at: '2023-06-19T00:00:00+00:00'\n"
        "featured: false\n"
        "source_name: newsroom\n"
        f"source_id: '{article.pk}'\n"
        "corrections:\n"
        "- date: '2023-06-20T00:00:00+00:00'\n"
        "  text: Fixed.\n"
        "---\n"
        "\n"
        "Body **text**.\n"
    )


def test_json_export_is_one_sorted_list_with_the_markdown_keys_and_body(desk, tmp_path):
    report = export_articles(tmp_path / "out", format="json")

    assert [path.name for path in report.files] == ["articles.json"]
    data = json.loads((tmp_path / "out" / "articles.json").read_text())
    assert [item["slug"] for item in data] == sorted(item["slug"] for item in data)
    # The image keys are only for a story that leads with a picture (tests/test_import_pictures.py).
    assert all(sorted(item) == sorted([*NO_IMAGE_KEYS, "body"]) for item in data)
    lead = next(item for item in data if item["slug"] == "blinken-lands-in-beijing")
    assert lead["authors"] == ["Wang Yi", "Ana Ruiz"]
    assert lead["tags"] == ["Antony Blinken", "china", "Trade"]
    assert [c["text"] for c in lead["corrections"]] == ["A name was misspelt.", "The day was wrong."]
    seed = next(item for item in data if item["source_name"] == "plaintext")
    assert seed["source_id"] == "000_036b39410185443a"


def test_fields_are_every_import_key_in_order_then_body(desk):
    article = Article.objects.get(slug="notes")

    assert tuple(article_fields(article)) == (*NO_IMAGE_KEYS, "body")


def test_public_only_leaves_out_drafts_review_and_scheduled(desk, tmp_path):
    export_articles(tmp_path / "out", public_only=True)

    assert sorted(files_of(tmp_path / "out")) == [
        "blinken-lands-in-beijing.md",
        "us-secretary-of-state-blinken-arrives-in-china-for-high-stakes-discussions.md",
    ]


# The command.


def run(*args):
    stdout = io.StringIO()
    call_command("export_articles", *map(str, args), stdout=stdout)
    return stdout.getvalue()


def test_command_exports_and_says_where(desk, tmp_path):
    out = tmp_path / "backup"

    assert run(out, "--format", "json") == f"Exported 5 articles to 1 file in {out}\n"
    assert (out / "articles.json").exists()


def test_command_refuses_a_folder_that_is_not_empty(desk, tmp_path):
    (tmp_path / "old.md").write_text("left over")

    with pytest.raises(CommandError, match=f"^{tmp_path} is not empty; export into a new or empty folder$"):
        run(tmp_path)
    assert sorted(files_of(tmp_path)) == ["old.md"]


def test_command_refuses_an_unknown_format(desk, tmp_path):
    with pytest.raises(CommandError, match="argument --format: invalid choice: 'xml'"):
        run(tmp_path / "out", "--format", "xml")
