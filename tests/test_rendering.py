"""Markdown is rendered once on save to sanitised HTML: nothing executable reaches a page."""

from html.parser import HTMLParser

import pytest

from articles.rendering import render_markdown

FORBIDDEN_TAGS = {"script", "iframe", "svg", "style", "math", "object", "embed", "form"}


class ElementCollector(HTMLParser):
    """The real elements and attributes a browser would build from the HTML (text is ignored)."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def executable_parts(html):
    """Elements, event handlers and javascript: URLs in ``html``: what could run in a reader's browser."""
    found = []
    for tag, attrs in ElementCollector(html).elements:
        if tag == "script" and attrs.get("type") == "application/ld+json":
            continue  # structured data: the browser never runs it
        if tag in FORBIDDEN_TAGS:
            found.append(tag)
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
            if name in {"href", "src"} and (value or "").strip().lower().startswith(("javascript:", "data:")):
                found.append(f"{tag}[{name}={value}]")
    return found


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)></svg>",
    "<style>body{display:none}</style>",
    "<math><mi>x</mi></math>",
    '![x](x" onerror="alert(1))',
]


@pytest.mark.parametrize("source", ATTACKS)
def test_nothing_executable_survives(source):
    assert executable_parts(render_markdown(source)) == []


def test_the_checker_itself_sees_executable_html():
    assert executable_parts('<img src="x" onerror="alert(1)"><a href="javascript:x">x</a>') == [
        "img[onerror]",
        "a[href=javascript:x]",
    ]


def test_markdown_renders_to_html():
    html = render_markdown("## Talks\n\nA *tense* meeting. [State](https://www.state.gov/)")
    assert "<h2>Talks</h2>" in html
    assert "<em>tense</em>" in html
    assert 'href="https://www.state.gov/"' in html
    assert 'rel="noopener noreferrer"' in html


def test_top_level_heading_is_demoted_below_the_headline():
    assert render_markdown("# Heading") == "<h2>Heading</h2>\n"


def test_xss_in_an_article_saved_from_the_admin_is_inert_on_the_page(client, make_article):
    article = make_article("Envoy lands", body="Hello <script>alert('x')</script> [a](javascript:alert(1))")
    assert "<script" not in article.body_html
    page = client.get(article.get_absolute_url()).content.decode()
    body = page.split('<div class="story__body">', 1)[1].split("</div>", 1)[0]
    assert executable_parts(body) == []
    assert [tag for tag in executable_parts(page) if tag != "form"] == []  # the masthead's search form
    assert "&lt;script&gt;" in page  # shown as the text it is


def test_body_html_and_word_count_are_computed_on_save(make_article):
    article = make_article("Envoy lands", body="One two three.\n\nFour five.")
    assert article.body_html == "<p>One two three.</p>\n<p>Four five.</p>\n"
    assert article.word_count == 5
