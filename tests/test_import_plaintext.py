"""The plain-text format and ``import_paths()``: what an import makes of a file, and what it writes."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.importers import plaintext, read_text
from articles.importing import ImportOptionError, import_paths
from articles.models import Article, ArticleAuthor, Author, Section, Status, Tag, TaggedArticle

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_000 = SEEDS / "000_036b39410185443a.txt"
SEED_001 = SEEDS / "001_b8534e62939162e0.txt"

STORY = "Talks Resume in Geneva\n\nDiplomats met on Monday. They talked for hours.\n\nA second paragraph.\n"


SAMPLE_FILE = STORY  # what the `write` fixture (conftest.py) writes by default


def parse(path):
    return plaintext.parse(path, read_text(path))


def lede_of(path):
    return read_text(path).split("\n\n")[1 if path == SEED_000 else 0].strip()


def row_counts():
    models = (Article, Section, Author, Tag, ArticleAuthor, TaggedArticle)
    return {model.__name__: model.objects.count() for model in models}


class Markup(HTMLParser):
    """Every element and attribute in a piece of HTML, as a browser would see them."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.attributes, self.text = [], [], ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data):
        self.text += data


# The format: headline, subheadings, paragraphs, dek.


def test_seed_000_headline_and_subheadings_become_h2(db):
    report = import_paths([SEED_000])

    article = Article.objects.get()
    assert report.created == 1
    assert article.headline == "US Secretary of State Blinken Arrives in China for High-Stakes Discussions"
    for subheading in (
        "Addressing Key Concerns",
        "Managing Differences",
        "The Importance of Diplomacy",
        "A Global Perspective",
    ):
        assert f"<h2>{subheading}</h2>" in article.body_html
    assert article.headline not in article.body_html  # the page's h1, not repeated in the body
    assert article.body_html.startswith("<p>The visit of US Secretary of State Antony Blinken")
    assert article.source_name == "plaintext"
    assert article.source_id == "000_036b39410185443a"


def test_seed_000_dek_is_the_lede_cut_at_a_sentence_end():
    record = parse(SEED_000)

    lede = lede_of(SEED_000)
    assert len(record.dek) <= 300
    assert lede.startswith(record.dek)
    assert record.dek.endswith("that need to be addressed.")


def test_dek_stops_at_a_sentence_end_not_at_an_abbreviation():
    record = parse(SEED_001)

    # The lede runs to 589 characters; "U.S. Secretary" inside the second sentence is not an end.
    assert record.dek == (
        "The tensions between the United States and China have reached alarming levels, causing "
        "widespread concern around the world. In an effort to address these escalating issues, U.S. "
        "Secretary of State Antony Blinken has embarked on a high-stakes diplomatic trip to Beijing."
    )


def test_dek_of_one_overlong_sentence_is_cut_at_a_word_with_an_ellipsis(write):
    sentence = "Officials from both capitals said " + "that the talks would go on " * 15 + "until Friday."
    record = parse(write("long.txt", f"Talks Go On\n\n{sentence}\n"))

    assert len(sentence) > 300
    assert len(record.dek) <= 300
    assert record.dek.endswith("…")
    assert sentence.startswith(record.dek.removesuffix("…"))
    assert not record.dek.removesuffix("…").endswith(" ")


def test_seed_001_without_headline_is_kept_as_draft_with_a_warning(db):
    report = import_paths([SEED_001], status=Status.PUBLISHED)

    article = Article.objects.get()
    first_sentence = lede_of(SEED_001).split(". ")[0]
    assert article.status == Status.DRAFT
    assert article.published_at is None
    assert article.headline
    assert len(article.headline) <= 100
    assert first_sentence.startswith(article.headline)
    assert not article.headline.endswith((",", " "))
    assert [str(warning) for warning in report.warnings] == [
        f"{SEED_001}:1: no headline; drawn from the first sentence, kept as a draft"
    ]
    assert report.created == 1 and not report.problems


def test_short_first_sentence_becomes_the_whole_drawn_headline(write):
    record = parse(write("short.txt", "Blinken landed in Beijing. He met Wang Yi.\n\nMore text.\n"))

    assert record.headline == "Blinken landed in Beijing"
    assert record.keep_as_draft


@pytest.mark.parametrize(
    "first_line",
    [
        "Blinken lands in Beijing.",
        'Blinken: "We will talk."',
        "Is this the thaw?",
        "A" * 151,
    ],
)
def test_first_line_that_reads_like_a_sentence_is_not_a_headline(write, first_line):
    record = parse(write("story.txt", f"{first_line}\n\nThe body.\n"))

    assert record.keep_as_draft
    assert record.body.startswith(first_line)


def test_multi_line_first_block_is_a_paragraph_and_lines_are_joined(write):
    record = parse(write("story.txt", "Talks resume\nin Geneva today\n\nSecond paragraph.\n"))

    assert record.keep_as_draft
    assert record.body.startswith("Talks resume in Geneva today\n\nSecond paragraph.")


def test_whitespace_only_lines_separate_blocks_and_long_short_lines_are_paragraphs(write):
    text = "Headline Here\n   \t\nFirst paragraph.\n \nA Subheading\n\n" + "Word " * 30 + "\n"
    record = parse(write("story.txt", text))

    assert record.headline == "Headline Here"
    assert record.body.split("\n\n") == ["First paragraph.", "## A Subheading", ("Word " * 30).strip() + "\n"]


def test_crlf_and_bom_file_parses_the_same_as_lf(write):
    text = read_text(SEED_000)
    lf = parse(write("lf/story.txt", text))
    crlf = parse(write("crlf/story.txt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()))

    assert (crlf.headline, crlf.dek, crlf.body) == (lf.headline, lf.dek, lf.body)
    assert not crlf.headline.startswith("\ufeff")


def test_headline_only_file_is_a_problem(db, write):
    path = write("stub.txt", "Talks Resume in Geneva\n\nA Subheading Only\n")

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1: no story text: the file has no paragraph, only headings"
    ]
    assert Article.objects.count() == 0


# Plain text stays plain: nothing in it is taken as Markdown or HTML.


def test_markdown_syntax_in_plain_text_stays_text(db, write):
    paragraphs = [
        "# Not a heading.",
        "> Not a quote.",
        "- Not a list.",
        "+ Not a list.",
        "1. Not a list either.",
        "2) Nor this.",
        "---.",
        "*Not emphasis* and _not_ either, `not code`, ~~not struck~~.",
        "    Not code either.",
        "AT&T and &amp; stay as typed.",
    ]
    subheading = "Why *This* Matters #"
    text = "Plain Text Stays Plain\n\n" + "\n\n".join(paragraphs) + f"\n\n{subheading}\n\nThe end.\n"

    import_paths([write("story.txt", text)])

    markup = Markup(Article.objects.get().body_html)
    assert markup.tags == ["p"] * len(paragraphs) + ["h2", "p"]
    for line in [*paragraphs, subheading]:
        assert line.strip() in markup.text


def test_script_tags_and_javascript_links_in_plain_text_are_inert(db, write):
    text = (
        "Security Notes\n\n"
        "<script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        "See [x](javascript:alert(1)) and <a href='javascript:alert(2)'>this</a>.\n"
    )
    import_paths([write("xss.txt", text)])

    html = Article.objects.get().body_html
    markup = Markup(html)
    assert "<script" not in html
    assert "script" not in markup.tags and "img" not in markup.tags and "a" not in markup.tags
    assert not [name for name, _ in markup.attributes if name.startswith("on")]
    assert not [value for _, value in markup.attributes if "javascript:" in (value or "")]
    # The reader sees the characters that were typed, as text.
    assert "<script>alert(1)</script>" in markup.text
    assert "[x](javascript:alert(1))" in markup.text


# Sections, authors, tags, slugs and dates.


def test_named_section_authors_and_tags_are_created_with_slugs(db):
    import_paths(
        [SEED_000],
        section="Asia Pacific",
        author=["Wang Yi", "Ana Ruiz"],
        tags="China, US-China relations, china",
        dateline="BEIJING",
    )

    article = Article.objects.get()
    assert (article.section.name, article.section.slug) == ("Asia Pacific", "asia-pacific")
    assert [(a.name, a.slug) for a in article.byline_authors] == [
        ("Wang Yi", "wang-yi"),
        ("Ana Ruiz", "ana-ruiz"),
    ]
    assert sorted(article.tags.values_list("name", "slug")) == [
        ("China", "china"),
        ("US-China relations", "us-china-relations"),
    ]
    assert article.dateline == "BEIJING"


def test_existing_section_author_and_tag_are_reused_whatever_their_case(db, make_section, make_author):
    section = make_section("Diplomacy")
    author = make_author("Foreign Desk")
    tag = Tag.objects.create(name="China")

    import_paths([SEED_000], section="diplomacy", author="FOREIGN DESK", tags=["china"])

    article = Article.objects.get()
    assert article.section == section
    assert article.byline_authors == [author]
    assert list(article.tags.all()) == [tag]
    assert (Section.objects.count(), Author.objects.count(), Tag.objects.count()) == (1, 1, 1)


def test_article_without_a_section_goes_in_news(db):
    import_paths([SEED_000])

    assert Article.objects.get().section.name == "News"


def test_same_headline_gets_a_numbered_slug_against_the_site_and_the_batch(db, write, make_article):
    make_article("Talks Resume in Geneva", slug="talks-resume-in-geneva")
    first, second = write("a.txt"), write("b.txt")

    import_paths([first, second])

    slugs = (
        Article.objects.filter(source_name="plaintext").order_by("source_id").values_list("slug", flat=True)
    )
    assert list(slugs) == ["talks-resume-in-geneva-2", "talks-resume-in-geneva-3"]


def test_long_headline_slug_is_cut_at_a_word_boundary(db, write):
    headline = "Blinken and Wang Yi Agree to Keep Talking About Trade Taiwan Fentanyl Climate and Students"
    import_paths([write("long.txt", f"{headline}\n\nText.\n")])

    slug = Article.objects.get().slug
    assert len(slug) <= 80
    assert (
        f"{slug}-"
        in "blinken-and-wang-yi-agree-to-keep-talking-about-trade-taiwan-fentanyl-climate-and-students-"
    )


def test_publication_time_is_now_for_published_given_when_given_none_for_drafts(db, write):
    pinned = datetime(2023, 6, 18, 1, 30, tzinfo=UTC)
    given = datetime(2023, 6, 19, 9, 0, tzinfo=UTC)

    with time_machine.travel(pinned, tick=False):
        import_paths([write("published.txt")], status="published")
    import_paths([write("scheduled.txt")], status="published", published_at=given)
    import_paths([write("draft.txt")], status="draft")

    times = dict(Article.objects.values_list("source_id", "published_at"))
    assert times == {"published": pinned, "scheduled": given, "draft": None}


def test_unknown_status_and_overlong_names_are_refused_before_anything_is_read(db):
    with pytest.raises(ImportOptionError, match="unknown status 'live'"):
        import_paths([SEED_000], status="live")
    with pytest.raises(ImportOptionError, match="section name is 101 characters; the limit is 100"):
        import_paths([SEED_000], section="S" * 101)
    with pytest.raises(ImportOptionError, match="author name is 201 characters; the limit is 200"):
        import_paths([SEED_000], author="A" * 201)
    with pytest.raises(ImportOptionError, match="tag name is 101 characters; the limit is 100"):
        import_paths([SEED_000], tags=["T" * 101])
    assert row_counts() == dict.fromkeys(row_counts(), 0)


# Idempotence.


def test_reimport_creates_nothing_and_writes_nothing(db):
    options = {
        "section": "Diplomacy",
        "author": "Foreign Desk",
        "tags": "China, Trade",
        "status": "published",
    }
    import_paths([SEED_000, SEED_001], **options)
    before = row_counts()
    updated_at = dict(Article.objects.values_list("pk", "updated_at"))

    report = import_paths([SEED_000, SEED_001], **options)

    assert report.summary() == "0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed"
    assert row_counts() == before
    assert dict(Article.objects.values_list("pk", "updated_at")) == updated_at


def test_changed_file_updates_the_same_article_and_keeps_its_slug(db, write):
    path = write("story.txt")
    import_paths([path], status="published")
    article = Article.objects.get()

    path.write_text("Talks Collapse in Geneva\n\nDiplomats walked out on Monday.\n")
    report = import_paths([path])

    changed = Article.objects.get()
    assert report.summary() == "0 created, 1 updated, 0 unchanged, 0 skipped, 0 failed"
    assert (changed.pk, changed.slug) == (article.pk, article.slug)
    assert changed.headline == "Talks Collapse in Geneva"
    assert changed.body_html == "<p>Diplomats walked out on Monday.</p>\n"
    # No --status this time: the published story stays up, with its first publication time.
    assert changed.status == Status.PUBLISHED
    assert changed.published_at == article.published_at


def test_changed_options_update_the_byline_and_tags(db):
    import_paths([SEED_000], author=["Ana Ruiz", "Wang Yi"], tags="China")

    report = import_paths([SEED_000], author=["Wang Yi"], tags="Trade, Human rights")

    article = Article.objects.get()
    assert report.updated == 1
    assert [author.name for author in article.byline_authors] == ["Wang Yi"]
    assert sorted(article.tags.names()) == ["Human rights", "Trade"]


def test_unchanged_reimport_query_count_is_flat(db, write):
    def reimport_queries(count):
        paths = [write(f"flat{count}/story-{n}.txt") for n in range(count)]
        import_paths(paths, tags="China")
        with CaptureQueriesContext(connection) as queries:
            report = import_paths(paths, tags="China")
        assert report.unchanged == count
        return len(queries)

    assert reimport_queries(2) == reimport_queries(20)


# All or nothing, keep going, dry run.


def test_one_bad_file_means_nothing_is_written(db, write):
    good, bad = write("good.txt"), write("bad.txt", "")

    report = import_paths([good, bad])

    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert [str(problem) for problem in report.problems] == [f"{bad}:1: empty file"]
    assert (report.created, report.failed, report.held_back) == (0, 1, 1)


def test_keep_going_writes_the_good_files_and_lists_the_bad(db, write):
    good, bad = write("good.txt"), write("bad.txt", b"\x00\x01")

    report = import_paths([good, bad], keep_going=True)

    assert list(Article.objects.values_list("source_id", flat=True)) == ["good"]
    assert [str(problem) for problem in report.problems] == [f"{bad}:1: binary file (NUL byte), not text"]
    assert report.summary() == "1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed"


def test_dry_run_reports_what_it_would_do_and_writes_nothing(db, write):
    path = write("story.txt")
    import_paths([path])
    path.write_text("Talks Collapse in Geneva\n\nDiplomats walked out.\n")
    before = row_counts()

    report = import_paths([path, SEED_000], dry_run=True, section="New Section", tags="New Tag")

    assert report.summary() == "Dry run: 1 created, 1 updated, 0 unchanged, 0 skipped, 0 failed"
    assert row_counts() == before
    assert Article.objects.get().headline == "Talks Resume in Geneva"
    assert not Section.objects.filter(name="New Section").exists()


# Bad input: a problem naming the file and line, never an exception.


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", 1, "empty file"),
        (b"\xef\xbb\xbf", 1, "empty file"),
        (b"  \n\t\n\r\n   ", 1, "file has only whitespace, no text"),
        (
            b"Headline\n\nGood line.\nCaf\xe9 au lait.\n",
            4,
            "not UTF-8: byte 0xE9 at column 4 is not valid UTF-8; save the file as UTF-8",
        ),
        ("Talks".encode("utf-16"), 1, "not UTF-8 (it looks like UTF-16); save it as UTF-8"),
        (b"Headline\n\n\x89PNG\x00\x00", 3, "binary file (NUL byte), not text"),
    ],
    ids=["empty", "bom-only", "whitespace-only", "latin-1", "utf-16", "binary"],
)
def test_unreadable_file_is_a_problem_with_its_line(db, write, content, line, reason):
    path = write("story.txt", content)

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [f"{path}:{line}: {reason}"]
    assert report.failed == 1
    assert Article.objects.count() == 0


def test_file_over_5_mb_is_refused_by_its_size(db, tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(6 * 1024 * 1024)  # sparse NUL bytes: "binary" too, were it read

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1: file is over the 5 MB limit (6.0 MB)"
    ]


def test_missing_path_is_a_problem(db, tmp_path):
    report = import_paths([tmp_path / "nope.txt", tmp_path / "nowhere"])

    assert [str(problem) for problem in report.problems] == [
        f"{tmp_path / 'nope.txt'}:1: no such file or folder",
        f"{tmp_path / 'nowhere'}:1: no such file or folder",
    ]
    assert report.failed == 2


def test_folder_without_articles_is_a_problem_and_its_other_files_are_skipped(db, write, tmp_path):
    write("photos/readme.rst", "Pictures.")
    write("photos/cover.jpg", b"\xff\xd8\xff")
    write("photos/.hidden.txt")

    report = import_paths([tmp_path / "photos"])

    assert [str(problem) for problem in report.problems] == [
        f"{tmp_path / 'photos'}:1: no articles in this folder (no .json, .md, .txt, .xml files)"
    ]
    assert report.summary() == "0 created, 0 updated, 0 unchanged, 2 skipped, 1 failed"


def test_folders_are_searched_recursively_skipping_hidden_and_other_files(db, write, tmp_path):
    write("desk/one.txt")
    write("desk/2023/june/two.TXT")
    write("desk/notes.docx", b"PK\x03\x04")
    write("desk/.drafts/three.txt")
    write("desk/.four.txt")

    report = import_paths([tmp_path / "desk", tmp_path / "desk" / "one.txt"])

    assert report.summary() == "2 created, 0 updated, 0 unchanged, 1 skipped, 0 failed"
    # Each file is known by its path inside the folder named (issue 12, point 3).
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["2023/june/two", "one"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("story.md", "no front matter: a Markdown article starts with a '---' line, then 'title: …'"),
        ("story.json", "malformed JSON: Expecting value at column 1"),
        ("story.xml", "broken XML: Start tag expected, '<' not found (column 1)"),
    ],
)
def test_text_that_is_not_the_format_its_extension_names_is_a_clear_problem(db, write, name, reason):
    path = write(name, "anything")

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [f"{path}:1: {reason}"]


def test_two_files_with_the_same_name_in_different_folders_are_refused(db, write):
    first, second = write("a/story.txt"), write("b/story.txt")

    report = import_paths([first, second])

    assert [problem.path for problem in report.problems] == [second]
    assert "same source id 'story' as" in report.problems[0].reason
    assert Article.objects.count() == 0
