"""``import_articles`` and ``load_sample_content`` as an operator runs them: output and exit status."""

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, Section, Status

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_000 = SEEDS / "000_036b39410185443a.txt"
SEED_001 = SEEDS / "001_b8534e62939162e0.txt"
STORY = "Talks Resume in Geneva\n\nDiplomats met on Monday. They talked for hours.\n"


SAMPLE_FILE = STORY  # what the `write` fixture (conftest.py) writes by default


@pytest.fixture
def run():
    """Run import_articles; return (stdout, stderr, the CommandError or None)."""

    def run(*args, command="import_articles", **options):
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            call_command(command, *map(str, args), stdout=stdout, stderr=stderr, **options)
        except CommandError as error:
            return stdout.getvalue(), stderr.getvalue(), error
        return stdout.getvalue(), stderr.getvalue(), None

    return run


def manage(tmp_path, *args):
    """Run manage.py in a child process, as an operator would, on a throwaway database."""
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "test-only-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args), "--skip-checks"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_prints_the_summary_and_the_warning_for_a_file_without_headline(db, run):
    stdout, stderr, error = run(SEED_000, SEED_001, "--section", "Diplomacy", "--status", "published")

    assert error is None
    assert stdout == "2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    assert stderr == f"{SEED_001}:1: warning: no headline; drawn from the first sentence, kept as a draft\n"
    statuses = dict(Article.objects.values_list("source_id", "status"))
    assert statuses == {"000_036b39410185443a": Status.PUBLISHED, "001_b8534e62939162e0": Status.DRAFT}


def test_second_run_reports_everything_unchanged(db, run):
    run(SEED_000, SEED_001)

    stdout, _, error = run(SEED_000, SEED_001)

    assert error is None
    assert stdout == "0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed\n"
    assert Article.objects.count() == 2


def test_verbose_run_lists_what_happened_to_each_file(db, run):
    stdout, _, _ = run(SEED_000, verbosity=2)

    assert stdout.splitlines()[0] == (
        f"created: {SEED_000} → us-secretary-of-state-blinken-arrives-in-china-for-high-stakes-discussions"
    )


def test_one_bad_file_fails_the_run_and_imports_nothing(db, run, write):
    good, bad = write("good.txt"), write("bad.txt", "   \n\n  ")

    stdout, stderr, error = run(good, bad)

    assert error is not None and error.returncode == 1
    assert str(error) == "1 file failed; nothing was imported (--keep-going imports the 1 good file)"
    assert stderr == f"{bad}:1: file has only whitespace, no text\n"
    assert stdout == "0 created, 0 updated, 0 unchanged, 0 skipped, 1 failed\n"
    assert Article.objects.count() == 0


def test_keep_going_imports_the_good_files_and_still_fails(db, run, write):
    good = write("good.txt")
    bad = write("bad.txt", b"Headline\n\nCaf\xe9.\n")

    stdout, stderr, error = run(good, bad, "--keep-going")

    assert str(error) == "1 file failed; the others were imported"
    assert stderr.startswith(f"{bad}:3: not UTF-8")
    assert stdout == "1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed\n"
    assert list(Article.objects.values_list("source_id", flat=True)) == ["good"]


def test_dry_run_says_what_it_would_do_and_writes_nothing(db, run, write):
    stdout, _, error = run(write("a.txt"), write("b.txt"), "--dry-run", "--section", "Brand New")

    assert error is None
    assert stdout == "Dry run: 2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    assert Article.objects.count() == 0
    assert not Section.objects.exists()


def test_dry_run_with_a_bad_file_says_nothing_would_be_imported(db, run, write):
    _, _, error = run(write("good.txt"), write("bad.txt", ""), "--dry-run")

    assert str(error) == "1 file failed; nothing would be imported (--keep-going imports the 1 good file)"


def test_missing_path_and_empty_folder_are_reported_by_name(db, run, tmp_path):
    (tmp_path / "empty").mkdir()

    _, stderr, error = run(tmp_path / "nope.txt", tmp_path / "empty")

    assert str(error) == "2 files failed; nothing was imported"
    assert stderr.splitlines() == [
        f"{tmp_path / 'nope.txt'}:1: no such file or folder",
        f"{tmp_path / 'empty'}:1: no articles in this folder (no .json, .md, .txt, .xml files)",
    ]


def test_markdown_file_is_imported(db, run, write):
    path = write("story.md", "---\ntitle: Talks\n---\nBody.\n")

    stdout, stderr, error = run(path)

    assert error is None and stderr == ""
    assert stdout == "1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    assert Article.objects.get().headline == "Talks"


def test_authors_tags_dateline_and_publication_time_from_options(db, run):
    _, _, error = run(
        SEED_000,
        "--author",
        "Ana Ruiz",
        "--author",
        "Wang Yi",
        "--tags",
        "China, Trade",
        "--dateline",
        "BEIJING",
        "--status",
        "published",
        "--published-at",
        "2023-06-18T09:30:00+08:00",
    )

    article = Article.objects.get()
    assert error is None
    assert [author.slug for author in article.byline_authors] == ["ana-ruiz", "wang-yi"]
    assert sorted(article.tags.slugs()) == ["china", "trade"]
    assert article.dateline == "BEIJING"
    assert article.published_at == datetime(2023, 6, 18, 1, 30, tzinfo=UTC)


def test_published_at_in_utc_with_z(db, run):
    run(SEED_000, "--status", "published", "--published-at", "2023-06-18T01:30:00Z")

    assert Article.objects.get().published_at == datetime(2023, 6, 18, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-06-18T09:30:00", "--published-at '2023-06-18T09:30:00' has no UTC offset"),
        ("2023-06-18", "--published-at '2023-06-18' has no UTC offset"),
        ("yesterday", "--published-at 'yesterday' is not an ISO 8601 date and time"),
        ("2023-13-45T09:30:00Z", "--published-at '2023-13-45T09:30:00Z' is not an ISO 8601 date and time"),
    ],
)
def test_bad_published_at_is_a_clear_error(db, run, value, message):
    _, _, error = run(SEED_000, "--published-at", value)

    assert str(error).startswith(message)
    assert "2023-06-18T09:30:00+08:00" in str(error)
    assert Article.objects.count() == 0


def test_overlong_section_name_is_a_clear_error(db, run):
    _, _, error = run(SEED_000, "--section", "S" * 101)

    assert str(error).startswith("section name is 101 characters; the limit is 100")
    assert Article.objects.count() == 0


def test_unknown_status_is_refused_by_the_argument_parser(db, run):
    _, _, error = run(SEED_000, "--status", "live")

    assert "argument --status: invalid choice: 'live'" in str(error)
    assert Article.objects.count() == 0


# From the shell: exit status and stderr, never a traceback.


def test_unknown_status_exits_non_zero_without_traceback(tmp_path):
    result = manage(tmp_path, "import_articles", SEED_000, "--status", "live")

    assert result.returncode == 2
    assert "invalid choice: 'live' (choose from 'draft', 'review', 'published')" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_published_at_exits_non_zero_without_traceback(tmp_path):
    result = manage(tmp_path, "import_articles", SEED_000, "--published-at", "18/06/2023")

    assert result.returncode == 1
    assert "CommandError: --published-at '18/06/2023' is not an ISO 8601 date and time" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_exits_non_zero_without_traceback(tmp_path):
    result = manage(tmp_path, "import_articles", tmp_path / "nope.txt")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'nope.txt'}:1: no such file or folder",
        "CommandError: 1 file failed; nothing was imported",
    ]
    assert "0 created, 0 updated, 0 unchanged, 0 skipped, 1 failed" in result.stdout


def test_a_long_run_imports_every_file(db, run, write, tmp_path):
    for number in range(60):
        write(f"wire/story-{number:02}.txt", f"Wire Story {number}\n\nText of story {number}.\n")

    stdout, _, error = run(tmp_path / "wire")

    assert error is None
    assert stdout == "60 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"


# The sample content.


def test_sample_content_loads_both_stories_published_into_diplomacy(db, run):
    stdout, stderr, error = run(command="load_sample_content")

    assert error is None and stderr == ""
    assert stdout == "2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    section = Section.objects.get(slug="diplomacy")
    assert section.name == "Diplomacy" and section.description
    articles = Article.objects.published().filter(section=section).order_by("source_id")
    assert [article.headline for article in articles] == [
        "US Secretary of State Blinken Arrives in China for High-Stakes Discussions",
        "Blinken Heads to Beijing to Ease Mounting U.S.-China Tensions",
    ]
    for article in articles:
        assert article.dateline == "BEIJING"
        assert [author.name for author in article.byline_authors] == ["Foreign Desk"]
        assert set(article.tags.names()) == {
            "Antony Blinken",
            "China",
            "United States",
            "US-China relations",
            "Human rights",
            "Trade",
        }


def test_sample_content_is_skipped_when_there_are_articles(db, run, make_article):
    make_article("Already here")

    stdout, _, error = run(command="load_sample_content")

    assert error is None
    assert stdout == "Skipped the sample content: the database already has articles.\n"
    assert Article.objects.count() == 1


def test_sample_content_files_are_the_seeds():
    folder = settings.BASE_DIR / "content" / "diplomacy"
    first = (folder / "000_036b39410185443a.txt").read_bytes()
    second = (folder / "001_b8534e62939162e0.txt").read_bytes()

    assert first == SEED_000.read_bytes()
    assert (
        second == b"Blinken Heads to Beijing to Ease Mounting U.S.-China Tensions\n\n" + SEED_001.read_bytes()
    )


def test_auto_tag_adds_the_vocabulary_tags_found_in_the_story(db, run):
    run(command="load_vocabulary")

    _, _, error = run(SEED_000, "--tags", "Beijing visit", "--auto-tag")

    tags = set(Article.objects.get().tags.names())
    assert error is None
    assert {"Beijing visit", "Antony Blinken", "China", "Uyghurs", "Trade"} <= tags
    assert "Joe Biden" not in tags
    stdout, _, _ = run(SEED_000, "--tags", "Beijing visit", "--auto-tag")
    assert stdout == "0 created, 0 updated, 1 unchanged, 0 skipped, 0 failed\n"
