"""Our JSON format (what export_articles writes): a list of articles or one, and its bad shapes."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.importing import import_paths
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Section,
    Status,
    Tag,
    TaggedArticle,
)

ARTICLES = """\
[
  {
    "title": "Blinken Arrives in Beijing",
    "slug": "blinken-arrives-in-beijing",
    "dek": "The first visit in five years.",
    "section": "Diplomacy",
    "authors": ["Wang Yi", "Ana Ruiz"],
    "tags": ["China", "Trade"],
    "dateline": "BEIJING",
    "status": "published",
    "published_at": "2023-06-18T01:30:00+00:00",
    "updated_at": "2023-06-19T12:00:00+00:00",
    "featured": false,
    "source_name": "plaintext",
    "source_id": "000_036b39410185443a",
    "corrections": [
      {"date": "2023-06-19T10:00:00+00:00", "text": "An earlier version misspelt a name."},
      {"date": "2023-06-20T10:00:00+00:00", "text": "And gave the wrong day."}
    ],
    "body": "The visit comes after **months** of tension.\\n"
  },
  {
    "title": "Talks Go On",
    "status": "review",
    "body": "Officials kept talking.\\n"
  }
]
"""


SAMPLE_FILE = ARTICLES  # what the `write` fixture (conftest.py) writes by default


NOT_A_MOMENT = "is not an ISO 8601 date and time with a UTC offset; write it like 2023-06-18T09:30:00+08:00"
KEYS = (
    "title", "slug", "dek", "section", "authors", "tags", "dateline", "status", "published_at",
    "embargoed_until", "updated_at", "featured", "source_name", "source_id", "corrections", "image",
    "image_alt", "image_caption", "image_credit", "body",
)  # fmt: skip


def row_counts():
    models = (Article, Section, Author, Tag, ArticleAuthor, TaggedArticle, Correction)
    return {model.__name__: model.objects.count() for model in models}


def test_a_list_of_articles_is_imported_with_corrections(db, write):
    report = import_paths([write("articles.json")])

    assert report.summary() == "2 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    article = Article.objects.get(slug="blinken-arrives-in-beijing")
    assert (article.source_name, article.source_id) == ("plaintext", "000_036b39410185443a")
    assert [author.name for author in article.byline_authors] == ["Wang Yi", "Ana Ruiz"]
    assert sorted(article.tags.names()) == ["China", "Trade"]
    assert (article.section.name, article.dateline, article.dek) == (
        "Diplomacy",
        "BEIJING",
        "The first visit in five years.",
    )
    assert article.published_at == datetime(2023, 6, 18, 1, 30, tzinfo=UTC)
    assert article.updated_at == datetime(2023, 6, 19, 12, 0, tzinfo=UTC)
    assert [c.text for c in article.corrections.all()] == [
        "An earlier version misspelt a name.",
        "And gave the wrong day.",
    ]
    assert article.body_html == "<p>The visit comes after <strong>months</strong> of tension.</p>\n"
    second = Article.objects.get(slug="talks-go-on")
    assert (second.status, second.source_name, second.source_id) == (Status.REVIEW, "json", "articles#2")


def test_one_object_is_one_article_known_by_its_file(db, write):
    path = write("one.json", '{"title": "Talks", "slug": "talks-in-geneva", "body": "Text."}')

    import_paths([path])

    # Not by its slug: another file with that slug is another story (issue 12, point 3).
    article = Article.objects.get()
    assert (article.slug, article.source_name, article.source_id) == ("talks-in-geneva", "json", "one")


def test_reimport_is_unchanged_and_corrections_are_replaced_by_the_files(db, write):
    path = write("articles.json")
    import_paths([path])
    assert import_paths([path]).summary() == "0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed"

    data = json.loads(ARTICLES)
    data[0]["corrections"] = [{"date": "2023-06-21T08:00:00Z", "text": "Only this one now."}]
    path.write_text(json.dumps(data))
    report = import_paths([path])

    assert report.summary() == "0 created, 1 updated, 1 unchanged, 0 skipped, 0 failed"
    article = Article.objects.get(slug="blinken-arrives-in-beijing")
    assert [(c.date, c.text) for c in article.corrections.all()] == [
        (datetime(2023, 6, 21, 8, 0, tzinfo=UTC), "Only this one now.")
    ]
    assert Article.objects.count() == 2


def test_one_bad_article_fails_the_whole_file_with_a_line_for_each(db, write):
    data = json.loads(ARTICLES)
    data[0]["status"] = "live"
    data.append({"title": "Third", "featured": "yes"})
    path = write("articles.json", json.dumps(data, indent=2))

    report = import_paths([path], keep_going=True)

    text = path.read_text().splitlines()
    status_line = next(n for n, line in enumerate(text, 1) if '"live"' in line)
    featured_line = next(n for n, line in enumerate(text, 1) if '"featured": "yes"' in line)
    assert [str(problem) for problem in report.problems] == [
        f"{path}:{status_line}: unknown status 'live'; use one of: draft, review, published",
        f"{path}:{featured_line}: featured must be true or false, not text",
    ]
    assert report.summary() == "0 created, 0 updated, 0 unchanged, 0 skipped, 1 failed"
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (
            '[\n  {"title": "Talks",\n   "body": "x"\n  }\n  {"title": "More"}\n]',
            5,
            "malformed JSON: Expecting ',' delimiter at column 3",
        ),
        (
            '{"title": "Talks", "body": "unterminated}\n',
            1,
            "malformed JSON: Invalid control character at column 42",
        ),
        ('"Talks"', 1, "expected an article object or a list of them, not text"),
        ("42", 1, "expected an article object or a list of them, not a number"),
        ("[]", 1, "no articles: the list is empty"),
        ('[{"title": "Talks"}, "More talks"]', 1, "article 2 must be an object, not text"),
        (
            '{\n  "title": "Talks",\n  "headline": "Talks"\n}',
            3,
            "unknown key 'headline'; the keys are: " + ", ".join(KEYS),
        ),
        ('{\n  "dek": "No title"\n}', 1, "no title; every article needs one"),
        ('{\n  "title": 42\n}', 2, "title must be text, not a number"),
        ('{\n  "title": "Talks",\n  "body": ["Para"]\n}', 3, "body must be text, not a list"),
        ('{\n  "title": "Talks",\n  "tags": "China, Trade"\n}', 3, "tags must be a list of names, not text"),
        (
            '{\n  "title": "Talks",\n  "published_at": "2023-06-18 09:30"\n}',
            3,
            "published_at '2023-06-18 09:30' " + NOT_A_MOMENT,
        ),
        (
            '{\n  "title": "Talks",\n  "status": "Published"\n}',
            3,
            "unknown status 'Published'; use one of: draft, review, published",
        ),
        (
            '{\n  "title": "Talks",\n  "section": "' + "S" * 101 + '"\n}',
            3,
            f"section name is 101 characters; the limit is 100: '{'S' * 40}…'",
        ),
        (
            '{\n  "title": "Talks",\n  "corrections": [\n    {"date": "2023-06-19T10:00:00Z"}\n  ]\n}',
            4,
            "correction 1 has no text",
        ),
        (
            '{\n  "title": "Talks",\n  "corrections": {"text": "x"}\n}',
            3,
            "corrections must be a list of corrections, each with a date and a text",
        ),
        (
            '{\n  "title": "Talks",\n  "corrections": [\n    {"text": "x", "date": "yesterday"}\n  ]\n}',
            4,
            "date 'yesterday' " + NOT_A_MOMENT,
        ),
    ],
    ids=[
        "missing-comma",
        "unterminated",
        "string",
        "number",
        "empty-list",
        "list-of-text",
        "unknown-key",
        "no-title",
        "title-number",
        "body-list",
        "tags-text",
        "date-format",
        "unknown-status",
        "long-section",
        "correction-no-text",
        "corrections-object",
        "correction-date",
    ],
)
def test_bad_json_is_one_clear_line_and_nothing_is_written(db, write, content, line, reason):
    path = write("story.json", content)

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [f"{path}:{line}: {reason}"]
    assert report.failed == 1
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_key_lines_skip_nested_objects(db, write):
    content = (
        '{\n  "corrections": [\n    {"date": "2023-06-19T10:00:00Z", "text": "x"}\n  ],\n  "title": 7\n}'
    )

    report = import_paths([write("story.json", content)])

    assert report.problems[0].line == 5


def test_command_prints_one_line_for_json_of_the_wrong_shape(db, write, make_article):
    make_article("Already Here")
    before = row_counts()
    path = write("articles.json", '{"articles": [{"title": "Talks"}]}')
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_articles", str(path), stdout=stdout, stderr=stderr)

    assert error.value.returncode == 1
    assert stderr.getvalue() == (
        f"{path}:1: the articles are in a list under 'articles'; "
        "the file must be one article object or a list of them\n"
    )
    assert stdout.getvalue() == "0 created, 0 updated, 0 unchanged, 0 skipped, 1 failed\n"
    assert row_counts() == before
