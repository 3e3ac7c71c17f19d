"""Markdown body text to sanitised HTML, done once when an article is saved.

A body may show pictures from the library: ``![alt](photo:ID "caption")``. Each becomes a
``<figure>`` with a ``<picture>`` (AVIF and WebP sources, a JPEG ``<img>``) and a caption with the
credit; the alt text and caption fall back to the library's. Pictures come through
``articles.pictures`` (photos fills it), all of a body's in one call.
"""

import re
import secrets

import nh3
from django.utils.html import format_html, format_html_join
from markdown_it import MarkdownIt
from markdown_it.token import Token

from articles import pictures as picture_hook

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

# What our own picture markup may hold, and nothing an author writes: the author's HTML is cleaned
# with the list above, the figures we build with this one, and only then are the two put together.
# (nh3 checks no URL scheme inside srcset, another reason an author must never reach it.)
FIGURE_TAGS = {"figure", "figcaption", "picture", "source", "img", "span"}
FIGURE_ATTRIBUTES = {
    "figure": {"class"},
    "span": {"class"},
    "source": {"type", "srcset", "sizes"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"},
}

# The story column is 40rem wide from 48rem of screen up, the screen less its margins below that.
FIGURE_SIZES = "(min-width: 48rem) 40rem, calc(100vw - 2rem)"
# The <img src> for browsers that read no srcset: a 2x screen's column.
FALLBACK_WIDTH = 960

_PICTURE_SRC = re.compile(r"photo:(\d{1,18})")
_PICTURE_ADDRESS = re.compile(r"\bphoto:\d+")
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


def _sanitise_figure(html):
    return nh3.clean(
        html,
        tags=FIGURE_TAGS,
        attributes=FIGURE_ATTRIBUTES,
        url_schemes={"http", "https"},
        strip_comments=True,
    )


def _picture_id(token):
    """The library id an image token names (``photo:12``), or None for any other token."""
    if token.type != "image":
        return None
    found = _PICTURE_SRC.fullmatch(token.attrGet("src") or "")
    return int(found[1]) if found else None


def _picture_ids_in(tokens):
    ids = set()
    for token in tokens:
        for child in token.children or ():
            if (picture_id := _picture_id(child)) is not None:
                ids.add(picture_id)
    return ids


def picture_ids(source):
    """The ids of the library pictures a Markdown ``source`` shows (``![alt](photo:ID)``), as a set."""
    return _picture_ids_in(_markdown.parse(source or ""))


def render_markdown(source, pictures=None):
    """Return the sanitised HTML for a Markdown ``source``; never raises on odd input.

    ``pictures`` is ``{id: articles.pictures.Picture}`` for the pictures the body names; by default
    they are asked of the picture source, in one call. A picture that is not there is left out.
    """
    tokens = _markdown.parse(source or "")
    ids = _picture_ids_in(tokens)
    if pictures is None:
        pictures = picture_hook.pictures_by_id(sorted(ids)) if ids else {}
    # Our figures stand in the author's HTML as text no author can guess, until it is cleaned.
    env = {"pictures": pictures, "figures": [], "marker": f"newsroom-figure-{secrets.token_hex(12)}"}
    html = _markdown.renderer.render(_lift_figures(tokens), _markdown.options, env)
    # A top-level "# heading" would compete with the page's one h1 (the headline): demote it.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    html = sanitise_html(html)
    for n, figure in enumerate(env["figures"]):
        html = html.replace(f"{env['marker']}-{n}.", _sanitise_figure(figure), 1)
    return html


def _lift_figures(tokens):
    """``tokens`` with each picture standing in a paragraph made a block of its own: a <figure>
    inside a <p> is invalid HTML, so the paragraph is closed before it and opened again after."""
    lifted, i = [], 0
    while i < len(tokens):
        if tokens[i].type == "paragraph_open" and i + 2 < len(tokens) and tokens[i + 1].type == "inline":
            lifted.extend(_split_paragraph(*tokens[i : i + 3]))
            i += 3
        else:
            lifted.append(tokens[i])
            i += 1
    return lifted


def _split_paragraph(opening, inline, closing):
    pieces, run, link_depth = [], [], 0
    for child in inline.children or ():
        link_depth += {"link_open": 1, "link_close": -1}.get(child.type, 0)
        if link_depth == 0 and _picture_id(child) is not None:
            pieces.extend([run, child])
            run = []
        else:
            run.append(child)
    if not pieces:
        return [opening, inline, closing]
    split = []
    for piece in [*pieces, run]:
        if isinstance(piece, Token):
            split.append(Token("story_figure", "figure", 0, children=[piece], level=opening.level))
        elif any(_shows_something(child) for child in piece):
            part = Token("inline", "", 0, children=piece, content="", level=inline.level, map=inline.map)
            split.extend([opening, part, closing])
    return split


def _shows_something(token):
    if token.type == "text":
        return bool(token.content.strip())
    return token.type not in ("softbreak", "hardbreak")


def _figure_markup(token, env, in_figure):
    """The stand-in for a picture's markup, kept in ``env`` for after the author's HTML is cleaned."""
    picture = env["pictures"].get(_picture_id(token))
    markup = _picture_html(token, picture, in_figure) if picture is not None else ""
    env["figures"].append(markup)
    return f"{env['marker']}-{len(env['figures']) - 1}."


def _picture_html(token, picture, in_figure):
    fallback = picture.fallback(None, FALLBACK_WIDTH)
    if fallback is None:
        return ""
    alt = _markdown.renderer.renderInlineAsText(token.children or [], _markdown.options, {}).strip()
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((mime, srcset, FIGURE_SIZES) for mime, srcset in picture.sources(None)),
    )
    shown = format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" '
        'decoding="async"></picture>',
        sources,
        fallback.url,
        picture.srcset(None, "jpeg"),
        FIGURE_SIZES,
        fallback.width,
        fallback.height,
        alt or picture.alt,
    )
    if not in_figure:
        return shown
    caption = (token.attrGet("title") or "").strip() or picture.caption.strip()
    credit = format_html(' <span class="credit">{}</span>', picture.credit) if picture.credit else ""
    return format_html(
        '<figure class="story-figure">{}<figcaption>{}{}</figcaption></figure>', shown, caption, credit
    )


def _render_figure(self, tokens, idx, options, env):
    return _figure_markup(tokens[idx].children[0], env, in_figure=True) + "\n"


_plain_image = _markdown.renderer.rules["image"]


def _render_image(self, tokens, idx, options, env):
    # A picture inside a link, a heading or a table cell, where a <figure> may not stand: the
    # <picture> alone, which may.
    if _picture_id(tokens[idx]) is not None and "figures" in env:
        return _figure_markup(tokens[idx], env, in_figure=False)
    return _plain_image(tokens, idx, options, env)


_markdown.add_render_rule("story_figure", _render_figure)
_markdown.add_render_rule("image", _render_image)


def count_words(source):
    """Return the number of words in a Markdown or plain-text source (a picture's ``photo:12``
    address is not a word a reader reads)."""
    return len(_WORD.findall(_PICTURE_ADDRESS.sub(" ", source or "")))
