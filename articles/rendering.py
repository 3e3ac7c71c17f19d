"""Markdown body text to sanitised HTML, done once when an article is saved."""

import re

import nh3
from markdown_it import MarkdownIt

# CommonMark with tables and strikethrough. Raw HTML in the source is shown as text, not passed
# through: editors write Markdown, and an import cannot smuggle markup in.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

# An allow-list: anything not named here (script, style, svg, math, iframe, on* attributes) is dropped.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_WORD = re.compile(r"\w+(?:[’'-]\w+)*")


def sanitise_html(html):
    """Return ``html`` with only allow-listed tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(source):
    """Return the sanitised HTML for a Markdown ``source``; never raises on odd input."""
    # A top-level "# heading" would compete with the page's one h1 (the headline): demote it.
    html = _markdown.render(source or "")
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return sanitise_html(html)


def count_words(source):
    """Return the number of words in a Markdown or plain-text source."""
    return len(_WORD.findall(source or ""))
