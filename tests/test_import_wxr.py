"""WordPress exports (WXR): posts become articles, everything else is skipped, bad files say where."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from articles.importers import wxr
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
from tests.test_import_command import manage

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
SITE = FIXTURES / "site.xml"


def row_counts():
    models = (Article, Section, Author, Tag, ArticleAuthor, TaggedArticle, Correction)
    return {model.__name__: model.objects.count() for model in models}


def line_of(path, text):
    """The number of the first line of ``path`` that contains ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


class Markup(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags, self.attributes = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


@pytest.fixture
def imported(db):
    report = import_paths([SITE])
    return report, {article.source_id: article for article in Article.objects.all()}


@pytest.fixture
def wxr_file(tmp_path):
    """Write a WXR 1.2 file holding ``items`` (XML text) and return its path."""

    def write(items, name="export.xml", authors=""):
        path = tmp_path / name
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
            '  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
            "<channel>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
            f"{authors}{items}</channel>\n</rss>\n"
        )
        return path

    return write


def post(
    post_id=1, title="A Post", status="publish", content="<p>Text.</p>", extra="", date="2023-06-18 01:30:00"
):
    return (
        f"<item>\n<title>{title}</title>\n<content:encoded><![CDATA[{content}]]></content:encoded>\n"
        f"<wp:post_id>{post_id}</wp:post_id>\n<wp:status>{status}</wp:status>\n"
        f"<wp:post_date_gmt>{date}</wp:post_date_gmt>\n<wp:post_type>post</wp:post_type>\n{extra}</item>\n"
    )


# What the posts become.


def test_posts_become_articles_and_everything_else_is_skipped(imported):
    report, _ = imported

    # Skipped: a trashed post, a page, an attachment, a menu item and a revision.
    assert report.summary() == "5 created, 0 updated, 0 unchanged, 5 skipped, 0 failed"
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["101", "102", "103", "104", "105"]
    assert set(Article.objects.values_list("source_name", flat=True)) == {"wordpress"}
    assert not Article.objects.filter(headline__in=["About Us", "arrival", "Home", "An Old Story"]).exists()


def test_each_wordpress_status_maps_to_ours(imported):
    _, articles = imported

    states = {source_id: (a.status, a.published_at, a.state) for source_id, a in articles.items()}
    assert states == {
        "101": (Status.PUBLISHED, datetime(2023, 6, 18, 1, 30, tzinfo=UTC), "Published"),
        "102": (Status.DRAFT, None, "Draft"),
        "103": (Status.REVIEW, None, "In review"),
        "104": (Status.PUBLISHED, datetime(2099, 1, 2, 9, 0, tzinfo=UTC), "Scheduled"),
        "105": (Status.DRAFT, None, "Draft"),  # private
    }
    assert list(Article.objects.published().values_list("source_id", flat=True)) == ["101"]


def test_slug_section_tags_authors_and_sticky_are_kept(imported):
    _, articles = imported
    lead = articles["101"]

    assert lead.slug == "blinken-lands-in-beijing"
    assert lead.section.name == "World"
    assert sorted(lead.tags.names()) == ["Asia & Pacific", "China", "Trade"]
    assert [author.name for author in lead.byline_authors] == ["Ana Ruiz"]
    assert [author.name for author in articles["104"].byline_authors] == ["Wang Yi"]
    assert lead.featured is True and articles["104"].featured is False
    # No post_name: a slug from the title. Only "Uncategorized": the default section.
    assert articles["102"].slug == "wang-yis-reply"
    assert articles["102"].headline == "Wang Yi’s Reply"
    assert articles["103"].section.name == "News"


def test_scripts_and_javascript_do_not_survive_the_body(imported):
    _, articles = imported
    lead = articles["101"]

    for text in (lead.body, lead.body_html):
        assert "script" not in text and "stolen cookies" not in text
        assert "javascript:" not in text and "onerror" not in text
    markup = Markup(lead.body_html)
    assert "script" not in markup.tags
    assert ("href", "https://example.org/talks") in markup.attributes


def test_html_becomes_markdown_and_shortcodes_are_removed_with_a_warning(imported):
    report, articles = imported
    lead = articles["101"]

    assert "He met **Wang Yi** [sic] and [senior officials](https://example.org/talks)." in lead.body
    assert "## What Comes Next\n\n- Trade\n- Taiwan\n" in lead.body
    assert "[caption" not in lead.body and "tarmac" not in lead.body
    assert "<h2>What Comes Next</h2>" in lead.body_html
    # Paragraphs from blank lines, as WordPress shows classic-editor posts; text stays text.
    assert articles["102"].body_html.count("<p>") == 3
    assert "*asterisks*" in articles["102"].body_html
    envoys = articles["103"]
    assert "gallery" not in envoys.body and "youtube" not in envoys.body
    assert (
        envoys.body == "Envoys from both capitals compared notes.\n\nThe photographs are from the embassy.\n"
    )
    warnings = [str(warning) for warning in report.warnings]
    assert (
        f"{SITE}:{line_of(SITE, '<item>')}: "
        "post 101: removed WordPress shortcodes [caption]; check what they showed" in warnings
    )
    assert any("post 103: removed WordPress shortcodes [embed], [gallery]" in warning for warning in warnings)


def test_dek_is_the_excerpt_or_the_text_before_more(imported):
    _, articles = imported

    assert (
        articles["101"].dek == "The US Secretary of State arrived in Beijing on Sunday for two days of talks."
    )
    assert articles["102"].dek == "The minister's answer, in full."
    assert articles["104"].dek == ""


def test_reimport_is_unchanged_and_a_changed_post_updates_its_article(imported, tmp_path):
    before = row_counts()
    pk = imported[1]["101"].pk

    assert import_paths([SITE]).summary() == "0 created, 0 updated, 5 unchanged, 5 skipped, 0 failed"
    assert row_counts() == before

    changed = tmp_path / "site.xml"
    changed.write_text(
        SITE.read_text().replace("Blinken Lands in Beijing]]></title>", "Blinken Lands]]></title>", 1)
    )
    report = import_paths([changed])

    assert report.summary() == "0 created, 1 updated, 4 unchanged, 5 skipped, 0 failed"
    assert Article.objects.get(source_id="101").headline == "Blinken Lands"
    assert Article.objects.get(source_id="101").pk == pk
    assert row_counts() == before


def test_wxr_1_1_is_read_too(db):
    report = import_paths([FIXTURES / "wxr-1.1.xml"])

    article = Article.objects.get()
    assert report.created == 1
    assert (article.headline, article.dek, article.section.name) == (
        "Old Blog Post",
        "A post from the old blog.",
        "Archive",
    )
    assert [author.name for author in article.byline_authors] == ["Lee Chen"]
    assert article.published_at == datetime(2012, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_untitled_draft_gets_a_drawn_headline_and_an_empty_one_is_skipped(db, wxr_file):
    path = wxr_file(
        post(1, title="", status="publish", content="<p>Talks went on late. Both sides spoke.</p>")
        + post(2, title="", status="draft", content="")
    )

    report = import_paths([path])

    article = Article.objects.get()
    assert (article.headline, article.status) == ("Talks went on late", Status.DRAFT)
    assert report.summary() == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed"
    assert [warning.reason for warning in report.warnings] == [
        "post 1: no title; drawn from the first sentence, kept as a draft",
        "post 2: an empty post with no title; skipped",
    ]


def test_password_protected_post_is_a_draft(db, wxr_file):
    path = wxr_file(post(extra="<wp:post_password>secret</wp:post_password>\n"))

    report = import_paths([path])

    assert Article.objects.get().status == Status.DRAFT
    assert [warning.reason for warning in report.warnings] == [
        "post 1: password-protected in WordPress; imported as a draft"
    ]


def test_scheduled_post_whose_time_has_passed_is_public_with_a_warning(db, wxr_file):
    report = import_paths([wxr_file(post(status="future", date="2023-06-18 01:30:00"))])

    assert Article.objects.published().count() == 1
    assert [warning.reason for warning in report.warnings] == [
        "post 1: scheduled for 2023-06-18 01:30 UTC, which has passed: it is public at once"
    ]


def test_unknown_author_login_is_the_byline_with_a_warning(db, wxr_file):
    path = wxr_file(post(extra="<dc:creator>ghost</dc:creator>\n"))

    report = import_paths([path])

    assert [author.name for author in Article.objects.get().byline_authors] == ["ghost"]
    assert "author 'ghost' is not in the export's author list" in report.warnings[0].reason


def test_percent_encoded_slug_is_made_an_address(db, wxr_file):
    path = wxr_file(post(extra="<wp:post_name>caf%c3%a9-talks</wp:post_name>\n"))

    import_paths([path])

    assert Article.objects.get().slug == "cafe-talks"


def test_shortcode_like_editorial_brackets_stay():
    content = wxr.convert_content(
        "<p>He [the minister] said [sic] it [gallery] twice [video src='x.mp4'].</p>"
    )

    assert content.body == "He [the minister] said [sic] it twice .\n"
    assert content.shortcodes == ["gallery", "video"]


def test_a_large_export_is_streamed_and_fully_read(db, wxr_file):
    items = "".join(
        post(n, title=f"Post {n}", content="<p>" + "Words here. " * 50 + "</p>") for n in range(1, 1501)
    )
    path = wxr_file(items)

    parsed = wxr.parse(path)

    assert len(parsed.records) == 1500
    assert parsed.records[-1].headline == "Post 1500"


# Bad input: one clear line each, nothing written.


def test_broken_xml_names_the_line(db):
    path = FIXTURES / "broken.xml"

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:9: broken XML: Opening and ending tag mismatch: item line 5 and channel (column 12)"
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_export_without_posts_is_a_problem(db):
    path = FIXTURES / "pages-only.xml"

    report = import_paths([path])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:1: no posts in this WordPress export (2 other entries, such as pages, skipped)"
    ]
    assert row_counts() == dict.fromkeys(row_counts(), 0)


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("", 1, "empty file"),
        (
            '<?xml version="1.0"?>\n<rss version="2.0"><channel>'
            "<item><title>Feed</title></item></channel></rss>\n",
            1,
            "not a WordPress export: it has no <wp:wxr_version>",
        ),
        (
            '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>\n',
            2,
            "not a WordPress export: the document is <feed>, not <rss>",
        ),
        ('<?xml version="1.0"?>\n<rss>\n<channel>\n<title>Caf\xe9</title>', 4, "broken XML:"),
    ],
    ids=["empty", "plain-rss", "atom", "not-utf-8"],
)
def test_files_that_are_not_wordpress_exports(db, tmp_path, content, line, reason):
    path = tmp_path / "export.xml"
    path.write_bytes(content.encode("latin-1"))

    report = import_paths([path])

    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith(f"{path}:{line}: {reason}")
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_bad_posts_fail_the_file_with_a_line_for_each(db, wxr_file):
    long_name = "S" * 101
    path = wxr_file(
        post(1, date="18/06/2023")
        + post(2, status="sold")
        + post(3, extra=f'<category domain="category" nicename="s">{long_name}</category>\n')
        + post(4, title="Good")
    )

    report = import_paths([path], keep_going=True)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:{line_of(path, '18/06/2023')}: post 1: "
        "post_date_gmt '18/06/2023' is not a date like 2023-06-18 01:30:00",
        f"{path}:{line_of(path, 'sold')}: post 2: unknown WordPress status 'sold'; "
        "known: publish, future, draft, private, pending, auto-draft, inherit, trash",
        f"{path}:{line_of(path, long_name)}: section name is 101 characters; the limit is 100: '{'S' * 40}…'",
    ]
    assert report.summary() == "0 created, 0 updated, 0 unchanged, 0 skipped, 1 failed"
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_broken_export_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    path = FIXTURES / "broken.xml"

    result = manage(tmp_path, "import_articles", path)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:9: broken XML: Opening and ending tag mismatch: item line 5 and channel (column 12)",
        "CommandError: 1 file failed; nothing was imported",
    ]
