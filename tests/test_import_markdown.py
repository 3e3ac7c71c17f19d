"""Markdown files with YAML front matter: what an import makes of them, and every way they go wrong."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles.importing import import_paths
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
)

FULL = """\
---
title: Blinken Arrives in Beijing
slug: blinken-arrives-in-beijing
dek: The first visit by a US Secretary of State in five years.
section: Diplomacy
authors:
  - Wang Yi
  - Ana Ruiz
tags: [China, Trade]
dateline: BEIJING
status: published
published_at: 2023-06-18T09:30:00+08:00
updated_at: 2023-06-19T12:00:00Z
featured: true
source_id: cms-4711
corrections:
  - date: 2023-06-19T10:00:00+00:00
    text: An earlier version misspelt the minister's name.
---

The visit comes after **months** of tension.

## What Is at Stake

Trade, Taiwan and fentanyl.
"""


SAMPLE_FILE = FULL  # what the `write` fixture (conftest.py) writes by default


NOT_A_MOMENT = "is not an ISO 8601 date and time with a UTC offset; write it like 2023-06-18T09:30:00+08:00"
KEYS = (
    "title", "slug", "dek", "section", "authors", "tags", "dateline", "status", "published_at",
    "embargoed_until", "updated_at", "featured", "source_name", "source_id", "corrections", "image",
    "image_alt", "image_caption", "image_credit",
)  # fmt: skip


def row_counts():
    models = (Article, Section, Author, Tag, ArticleAuthor, TaggedArticle, Correction, SlugRedirect)
    return {model.__name__: model.objects.count() for model in models}


def front(*lines, body="Body text.\n"):
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


# What a file becomes.


def test_every_front_matter_key_is_imported(db, write):
    path = write("arrival.md")

    report = import_paths([path])

    article = Article.objects.get()
    assert report.summary() == "1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert article.headline == "Blinken Arrives in Beijing"
    assert article.slug == "blinken-arrives-in-beijing"
    assert article.dek == "The first visit by a US Secretary of State in five years."
    assert article.section.name == "Diplomacy"
    assert [author.name for author in article.byline_authors] == ["Wang Yi", "Ana Ruiz"]
    assert sorted(article.tags.names()) == ["China", "Trade"]
    assert article.dateline == "BEIJING"
    assert article.status == Status.PUBLISHED
    assert article.published_at == datetime(2023, 6, 18, 1, 30, tzinfo=UTC)
    assert article.updated_at == datetime(2023, 6, 19, 12, 0, tzinfo=UTC)
    assert article.featured is True
    assert (article.source_name, article.source_id) == ("markdown", "cms-4711")
    assert [(c.date, c.text) for c in article.corrections.all()] == [
        (datetime(2023, 6, 19, 10, 0, tzinfo=UTC), "An earlier version misspelt the minister's name.")
    ]
    assert article.body.startswith("The visit comes after **months**")
    assert "<strong>months</strong>" in article.body_html
    assert "<h2>What Is at Stake</h2>" in article.body_html
    assert article.is_public


def test_a_title_alone_is_enough(db, write):
    path = write("talks.md", front("title: Talks Resume"))

    import_paths([path])

    article = Article.objects.get()
    assert (article.headline, article.dek, article.body) == ("Talks Resume", "", "Body text.\n")
    assert (article.source_name, article.source_id) == ("markdown", "talks")
    assert article.slug == "talks-resume"
    assert article.section.name == "News"
    assert (article.status, article.published_at, article.featured) == (Status.DRAFT, None, False)


def test_values_are_text_as_written_and_crlf_and_bom_are_fine(db, write):
    text = "\ufeff" + front("title: 1984", "dateline: 2023", body="\nBody.\n").replace("\n", "\r\n")

    import_paths([write("year.md", text)])

    article = Article.objects.get()
    assert (article.headline, article.dateline) == ("1984", "2023")
    assert article.body_html == "<p>Body.</p>\n"


def test_future_publication_time_schedules_the_article(db, write):
    later = (timezone.now() + timedelta(days=2)).isoformat()
    import_paths(
        [write("soon.md", front("title: Coming Soon", "status: published", f"published_at: {later}"))]
    )

    article = Article.objects.get()
    assert article.state == "Scheduled"
    assert not Article.objects.published().exists()


def test_review_status_is_kept(db, write):
    import_paths([write("check.md", front("title: Check Me", "status: review"))])

    assert Article.objects.get().status == Status.REVIEW


# Options and the file.


def test_options_fill_in_what_the_file_leaves_out_and_the_file_wins(db, write):
    path = write("story.md", front("title: Talks", "section: Diplomacy", "tags: [China]"))

    import_paths(
        [path],
        section="World",
        author=["Ana Ruiz"],
        tags="Trade",
        status="published",
        published_at=datetime(2023, 6, 18, tzinfo=UTC),
        dateline="GENEVA",
    )

    article = Article.objects.get()
    assert article.section.name == "Diplomacy"  # the file's
    assert list(article.tags.names()) == ["China"]  # the file's
    assert [author.name for author in article.byline_authors] == ["Ana Ruiz"]  # the option's
    assert (article.status, article.dateline) == (Status.PUBLISHED, "GENEVA")
    assert article.published_at == datetime(2023, 6, 18, tzinfo=UTC)


# Idempotence on source_id (or the file name).


def test_reimport_is_unchanged_and_an_edited_file_updates_the_same_article(db, write):
    path = write("arrival.md")
    import_paths([path])
    before = row_counts()
    article = Article.objects.get()

    assert import_paths([path]).summary() == "0 created, 0 updated, 1 unchanged, 0 skipped, 0 failed"
    assert row_counts() == before

    path.write_text(FULL.replace("Blinken Arrives", "Blinken Lands").replace("misspelt", "misspelled"))
    report = import_paths([path])

    changed = Article.objects.get()
    assert report.summary() == "0 created, 1 updated, 0 unchanged, 0 skipped, 0 failed"
    assert (changed.pk, changed.headline) == (article.pk, "Blinken Lands in Beijing")
    assert [c.text for c in changed.corrections.all()] == [
        "An earlier version misspelled the minister's name."
    ]
    assert changed.updated_at == datetime(2023, 6, 19, 12, 0, tzinfo=UTC)
    assert row_counts() == before


def test_source_id_in_the_file_survives_a_rename(db, write, tmp_path):
    import_paths([write("one.md")])
    (tmp_path / "one.md").rename(tmp_path / "renamed.md")

    report = import_paths([tmp_path / "renamed.md"])

    assert report.unchanged == 1 and Article.objects.count() == 1


def test_a_changed_slug_leaves_a_redirect(db, write):
    path = write("arrival.md")
    import_paths([path])

    path.write_text(FULL.replace("slug: blinken-arrives-in-beijing", "slug: blinken-in-beijing"))
    import_paths([path])

    assert Article.objects.get().slug == "blinken-in-beijing"
    assert SlugRedirect.objects.get().old_slug == "blinken-arrives-in-beijing"


def test_a_slug_another_article_has_is_refused(db, write, make_article):
    make_article("Someone Else", slug="blinken-arrives-in-beijing")
    before = row_counts()
    path = write("arrival.md")

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:3: slug 'blinken-arrives-in-beijing' is taken by another article, “Someone Else”"
    ]
    assert row_counts() == before


def test_two_files_with_one_source_id_are_refused(db, write):
    first = write("a.md", front("title: One", "source_id: same"))
    second = write("b.md", front("title: Two", "source_id: same"))

    report = import_paths([first, second])

    assert [str(problem) for problem in report.problems] == [
        f"{second}:3: same source id 'same' as {first}:3; give each article its own source_id"
    ]
    assert Article.objects.count() == 0


# All or nothing, keep going, dry run.


def test_one_bad_file_imports_nothing_and_keep_going_imports_the_rest(db, write):
    good, bad = write("good.md"), write("bad.md", front("title: Bad", "status: live"))

    report = import_paths([good, bad])
    assert (report.created, report.failed, report.held_back) == (0, 1, 1)
    assert Article.objects.count() == 0

    report = import_paths([good, bad], keep_going=True)
    assert report.summary() == "1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed"
    assert list(Article.objects.values_list("source_id", flat=True)) == ["cms-4711"]


def test_dry_run_writes_nothing(db, write):
    report = import_paths([write("arrival.md")], dry_run=True)

    assert report.summary() == "Dry run: 1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert row_counts() == dict.fromkeys(row_counts(), 0)


# Bad input: one clear line each, nothing written.


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (
            "title: Talks\n\nBody.\n",
            1,
            "no front matter: a Markdown article starts with a '---' line, then 'title: …'",
        ),
        ("---\ntitle: Talks\nBody.\n", 1, "the front matter is not closed: no '---' line after it"),
        (
            front("title: [Talks"),
            3,
            "malformed front matter: while parsing a flow sequence "
            "expected ',' or ']', but got '<stream end>'",
        ),
        (
            front("title: Talks", "  section: World"),
            3,
            "malformed front matter: mapping values are not allowed here",
        ),
        (front("- title", "- Talks"), 2, "the front matter must be 'key: value' lines, not a list"),
        (front("Just a sentence."), 2, "the front matter must be 'key: value' lines, not a single value"),
        (front(), 2, "the front matter is empty; it needs at least a title"),
        (
            front("title: Talks", "", "headline: Talks"),
            4,
            "unknown key 'headline'; the keys are: " + ", ".join(KEYS),
        ),
        (front("title: Talks", "title: Again"), 3, "key 'title' appears twice (first on line 2)"),
        (front("dek: No title here"), 2, "no title; every article needs one"),
        (front("title: [One, Two]"), 2, "title must be text, not a list"),
        (front("title: yes"), 2, "title must be text, not true or false; put it in quotes"),
        (front("title: Talks", "authors: Ana Ruiz"), 3, "authors must be a list of names, not text"),
        (front("title: Talks", "tags: [China, [Trade]]"), 3, "tags: item 2 must be a name, not a list"),
        (front("title: Talks", "featured: maybe"), 3, "featured must be true or false, not text"),
        (front("title: Talks", "published_at: 18/06/2023"), 3, "published_at '18/06/2023' " + NOT_A_MOMENT),
        (
            front("title: Talks", "updated_at: 2023-06-18T09:30:00"),
            3,
            "updated_at '2023-06-18T09:30:00' " + NOT_A_MOMENT,
        ),
        (front("title: Talks", "published_at: 2023-06-18"), 3, "published_at '2023-06-18' " + NOT_A_MOMENT),
        (
            front("title: Talks", "status: live"),
            3,
            "unknown status 'live'; use one of: draft, review, published",
        ),
        (
            front("title: Talks", "section: " + "S" * 101),
            3,
            f"section name is 101 characters; the limit is 100: '{'S' * 40}…'",
        ),
        (
            front("title: Talks", "authors:", "  - " + "A" * 201),
            3,
            f"author name is 201 characters; the limit is 200: '{'A' * 40}…'",
        ),
        (front("title: " + "H" * 301), 2, "headline is 301 characters; the limit is 300"),
        (
            front("title: Talks", "slug: talks in geneva"),
            3,
            "slug 'talks in geneva' may hold only letters a-z, digits, hyphens and underscores",
        ),
        (front("title: Talks", "dateline: " + "D" * 101), 3, "dateline is 101 characters; the limit is 100"),
        (
            front("title: Talks", "corrections:", "  - date: 2023-06-19T10:00:00Z"),
            4,
            "correction 1 has no text",
        ),
        (
            front("title: Talks", "corrections:", "  - text: Fixed.", "    when: today"),
            5,
            "correction 1: unknown key 'when'; the keys are: date, text",
        ),
        (
            front("title: Talks", "corrections: Fixed a name."),
            3,
            "corrections must be a list of corrections, each with a date and a text",
        ),
        (front("title: &t Talks", "dek: *t"), 2, "YAML anchors and aliases (&name, *name) are not used here"),
    ],
    ids=[
        "no-front-matter",
        "not-closed",
        "malformed-yaml",
        "bad-indent",
        "list",
        "scalar",
        "empty",
        "unknown-key",
        "duplicate-key",
        "no-title",
        "title-list",
        "title-bool",
        "authors-text",
        "tag-list",
        "featured-text",
        "date-format",
        "date-no-offset",
        "date-only",
        "unknown-status",
        "long-section",
        "long-author",
        "long-headline",
        "bad-slug",
        "long-dateline",
        "correction-no-text",
        "correction-unknown-key",
        "corrections-text",
        "alias",
    ],
)
def test_bad_front_matter_is_one_clear_line_and_nothing_is_written(db, write, content, line, reason):
    path = write("story.md", content)

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [f"{path}:{line}: {reason}"]
    assert report.failed == 1
    assert row_counts() == dict.fromkeys(row_counts(), 0)


# From the command: one line on stderr, a non-zero exit, nothing written.


def test_command_prints_one_line_for_front_matter_that_is_not_a_mapping(db, write, make_article):
    make_article("Already Here")
    before = row_counts()
    path = write("story.md", front("- just", "- a list"))
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_articles", str(path), stdout=stdout, stderr=stderr)

    assert error.value.returncode == 1
    assert str(error.value) == "1 file failed; nothing was imported"
    assert stderr.getvalue() == f"{path}:2: the front matter must be 'key: value' lines, not a list\n"
    assert row_counts() == before
