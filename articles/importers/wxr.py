"""WordPress exports (WXR 1.0 to 1.2, the XML that Tools → Export writes).

The file is streamed with ``lxml.etree.iterparse`` and each ``<item>`` is cleared once read, so
memory follows the posts kept, not the size of the file. Posts (``wp:post_type`` post) become
articles; pages, attachments, menu items, revisions, trashed posts and empty auto-drafts are passed
over and counted as skipped.

What a post becomes:

- ``wp:status`` publish → published at ``post_date_gmt``; future → published at that (later) time,
  i.e. scheduled; draft and private → draft; pending → review. A password-protected post becomes a
  draft: its text was not meant for everyone.
- ``wp:post_name`` → slug, kept so that old addresses keep working; ``wp:is_sticky`` → featured.
- The first category → section (WordPress's "Uncategorized" is no section); other categories and
  the post tags → tags. ``dc:creator`` (a login) → the display name in the export's author list.
- ``content:encoded`` → the body: shortcodes removed (with a warning naming them), paragraphs made
  from blank lines as WordPress does on display, sanitised, then converted to Markdown with
  markdownify. ``excerpt:encoded`` is the dek, or else the text before ``<!--more-->``.
- The WordPress post id is the source id, so a re-import updates the articles it made.

Pictures come in only from the export's uploads folder (``uploads``: its ``wp-content/uploads``,
``import_articles --uploads DIR``); nothing is ever downloaded. A picture's file is the part of its
address after ``wp-content/uploads/``, under that folder; an address leading out of it is refused.

- The post's featured image (``_thumbnail_id`` → an ``attachment`` item's ``wp:attachment_url``)
  becomes its lead picture: alt text from the attachment's ``_wp_attachment_image_alt``, caption from
  its excerpt.
- A ``[caption]`` shortcode around an ``<img>`` becomes a picture in the body,
  ``![alt](photo:ID "caption")``: alt text from the ``<img>``, caption from the shortcode's text (or
  its ``caption=""``). Until the write phase gives it an id it stands as ``PHOTO_PLACEHOLDER``.
- WordPress has no credit: a picture is credited to the display name of whoever uploaded it (the
  attachment's ``dc:creator``), else to the post's author, else "Unknown"; an editor corrects it in
  the picture desk.
- Without ``uploads`` a post's pictures are left out, as the ``[caption]`` shortcodes always were,
  with a warning for each post that had any.
"""

import html
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import nh3
from django.utils.text import slugify
from lxml import etree
from markdownify import markdownify

from articles.importers import (
    ArticleRecord,
    BodyPicture,
    ImportProblem,
    Notice,
    ParsedFile,
    open_regular,
)
from articles.importers.plaintext import draw_headline
from articles.importers.wxr_pictures import (
    CAPTION_SHORTCODE,
    SPACE_RUN,
    PostPictures,
    caption_figure,
    place_figures,
    plain_text,
)
from articles.models import Status
from articles.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from articles.slugs import is_slug

SOURCE_NAME = "wordpress"
# A site's whole archive, not one article: far over the 5 MB an article file may be.
MAX_WXR_BYTES = 256 * 2**20
UNCATEGORIZED = "uncategorized"

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_WP_NS = re.compile(r"http://wordpress\.org/export/\d+\.\d+/(excerpt/)?$")

_STATUSES = {
    "publish": Status.PUBLISHED,
    "future": Status.PUBLISHED,
    "draft": Status.DRAFT,
    "private": Status.DRAFT,
    "pending": Status.REVIEW,
}
# Not posts anyone wrote to publish: the bin, WordPress's own placeholders, revisions' status.
_PASSED_OVER_STATUSES = {"trash", "auto-draft", "inherit"}
_NO_DATE = "0000-00-00 00:00:00"

# [name attr="…"]…[/name], or [name attr="…"], or [name /]: WordPress shortcodes. A bracketed word
# alone ("[sic]", "[the minister]") is text, unless it is one of WordPress's own shortcodes.
_ENCLOSING_SHORTCODE = re.compile(r"\[([a-zA-Z][\w-]*)(?:\s[^\]]*)?\].*?\[/\1\]", re.DOTALL)
_SELF_CLOSING_SHORTCODE = re.compile(
    r"\[([a-zA-Z][\w-]*)(?:\s+[\w-]+\s*=[^\]]*|\s*/)\]"
    r"|\[(caption|wp_caption|gallery|playlist|audio|video|embed)\]"
)
_MORE = re.compile(r"<!--more(.*?)-->", re.DOTALL)
_NOTEASER = re.compile(r"<!--noteaser-->")
_HAS_PARAGRAPHS = re.compile(r"<p[\s>]", re.IGNORECASE)
_BLOCK_START = re.compile(
    r"\s*</?(?:p|h[1-6]|ul|ol|li|blockquote|pre|table|thead|tbody|tr|div|figure|hr|dl|section)\b",
    re.IGNORECASE,
)
_BLANK_LINES = re.compile(r"\n\s*\n")
# Blocks that keep their shape on the way to Markdown; nh3 keeps the text of any other tag.
_CONVERTED_TAGS = ALLOWED_TAGS | {"h1", "div", "figure", "figcaption", "section", "article", "dl", "dt", "dd"}


@dataclass
class _Post:
    """One ``<item>`` as read, before the author list (which may come later) is known."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    categories: list[tuple[str, str, str, int]] = field(default_factory=list)  # domain, slug, name, line
    # Its custom fields: (value, line) by key, the first of each.
    meta: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, name):
        return (self.values.get(name) or "").strip()


class _Attachment(NamedTuple):
    """A file in the WordPress media library, as its ``attachment`` item describes it."""

    url: str
    alt: str
    caption: str
    uploader: str  # a login


def parse(path, name=None, *, uploads=None):
    """Return the ``ParsedFile`` for the WordPress export at ``path``: one record per post (the
    post ids are the source ids, so the file's identity ``name`` is not used). ``uploads`` is the
    export's uploads folder: the pictures of the posts are taken from it, or left out without it.

    Skipped entries are counted in its ``skipped``; a post that cannot become an article is in its
    ``problems``. Raises ``ImportProblem`` for a file that is empty, too large, broken XML (at the
    line the parser stopped), not a WordPress export, or one without a single post.
    """
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise ImportProblem(path, 1, "empty file")
        if size > MAX_WXR_BYTES:
            limit = MAX_WXR_BYTES // 2**20
            raise ImportProblem(path, 1, f"file is over the {limit} MB limit for a WordPress export")
        authors, posts, attachments, skipped, version = _read(
            path, file, keep_attachments=uploads is not None
        )
    if version is None:
        raise ImportProblem(path, 1, "not a WordPress export: it has no <wp:wxr_version>")
    if not posts:
        raise ImportProblem(
            path, 1, f"no posts in this WordPress export ({skipped} other entries, such as pages, skipped)"
        )
    parsed = ParsedFile([], skipped=skipped)
    uploads = Path(uploads) if uploads is not None else None
    for post in posts:
        try:
            record = _record(path, post, authors, PostPictures(path, post, authors, attachments, uploads))
        except ImportProblem as problem:
            parsed.problems.append(problem.as_notice())
            continue
        if isinstance(record, Notice):
            parsed.skipped += 1
            parsed.warnings.append(record)
        else:
            parsed.records.append(record)
    return parsed


def _read(path, file, keep_attachments=False):
    """Stream ``file`` (opened from ``path``): return (author names by login, posts, attachments by
    post id (with ``keep_attachments``, else none), entries skipped, WXR version)."""
    authors, posts, attachments, skipped, version, root = {}, [], {}, 0, None, None
    events = etree.iterparse(
        file,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for event, element in events:
            if root is None:
                root = element
                if element.tag != "rss":
                    raise ImportProblem(
                        path,
                        element.sourceline or 1,
                        f"not a WordPress export: the document is <{etree.QName(element).localname}>, "
                        "not <rss>",
                    )
            if event != "end":
                continue
            name = _name(element)
            if name == "wp:wxr_version":
                version = (element.text or "").strip()
            elif name == "wp:author":
                login = _child_text(element, "wp:author_login")
                display = _child_text(element, "wp:author_display_name")
                if login:
                    authors[login] = html.unescape(display or login).strip()
                _release(element)
            elif name == "item":
                post = _post(element)
                post_type = post.get("wp:post_type")
                if post_type == "post" and post.get("wp:status") not in _PASSED_OVER_STATUSES:
                    posts.append(post)
                else:
                    skipped += 1
                    if post_type == "attachment" and keep_attachments and post.get("wp:post_id"):
                        attachments[post.get("wp:post_id")] = _attachment(post)
                _release(element)
    except etree.XMLSyntaxError as error:
        # libxml2 ends its message with ", line 3, column 7"; the line is already in front.
        message = re.sub(r", line \d+, column (\d+)$", r" (column \1)", error.msg or str(error))
        raise ImportProblem(path, error.lineno or 1, f"broken XML: {message}") from None
    return authors, posts, attachments, skipped, version


def _attachment(post):
    return _Attachment(
        url=post.get("wp:attachment_url"),
        alt=plain_text(post.meta.get("_wp_attachment_image_alt", ("", 0))[0]),
        caption=plain_text(post.values.get("excerpt:encoded") or ""),
        uploader=post.get("dc:creator"),
    )


def _release(element):
    # Forget what has been read: the element's content and the siblings before it.
    element.clear(keep_tail=True)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _name(element):
    """Return ``element``'s tag with a short prefix: "wp:post_id", "content:encoded", "title"."""
    if not isinstance(element.tag, str):
        return ""  # a comment or processing instruction
    qname = etree.QName(element)
    namespace = qname.namespace or ""
    if not namespace:
        return qname.localname
    if namespace == _CONTENT_NS:
        return f"content:{qname.localname}"
    if namespace == _DC_NS:
        return f"dc:{qname.localname}"
    if match := _WP_NS.match(namespace):
        return f"{'excerpt' if match.group(1) else 'wp'}:{qname.localname}"
    return f"{{{namespace}}}{qname.localname}"


def _child_text(element, name):
    for child in element:
        if _name(child) == name:
            return (child.text or "").strip()
    return ""


def _post(item):
    post = _Post(line=item.sourceline or 1)
    for child in item:
        name = _name(child)
        if name == "category":
            post.categories.append(
                (
                    child.get("domain", ""),
                    child.get("nicename", ""),
                    plain_text(child.text or ""),
                    child.sourceline or post.line,
                )
            )
        elif name == "wp:postmeta":
            parts = {_name(part): part for part in reversed(child)}  # the first of each
            key = parts.get("wp:meta_key")
            meta_key = (key.text or "").strip() if key is not None else ""
            if meta_key and meta_key not in post.meta:
                value = parts.get("wp:meta_value")
                text = (value.text or "").strip() if value is not None else ""
                post.meta[meta_key] = (text, key.sourceline or child.sourceline or post.line)
        elif name and name not in post.values:
            post.values[name] = child.text or ""
            post.lines[name] = child.sourceline or post.line
    return post


def _record(path, post, authors, pictures):
    """Return the ``ArticleRecord`` for ``post``, or for a post with neither title nor text, the
    warning that it is skipped. ``pictures`` (``PostPictures``) finds the post's picture files."""
    post_id = post.get("wp:post_id")
    if not post_id:
        raise ImportProblem(path, post.line, "a post without a <wp:post_id>")
    warnings = []

    def warn(reason):
        warnings.append(Notice(path, post.line, f"post {post_id}: {reason}"))

    wp_status = post.get("wp:status")
    if wp_status not in _STATUSES:
        raise ImportProblem(
            path,
            post.lines.get("wp:status", post.line),
            f"post {post_id}: unknown WordPress status '{wp_status}'; "
            f"known: {', '.join([*_STATUSES, *sorted(_PASSED_OVER_STATUSES)])}",
        )
    status = _STATUSES[wp_status]
    if post.get("wp:post_password"):
        status = Status.DRAFT
        warn("password-protected in WordPress; imported as a draft")
    published_at = _gmt(path, post, post_id) if status == Status.PUBLISHED else None

    content = convert_content(post.values.get("content:encoded") or "", figure=pictures.figure)
    image = pictures.featured_image()
    for reason in pictures.warnings():
        warn(reason)
    if content.shortcodes:
        names = ", ".join(f"[{name}]" for name in content.shortcodes)
        warn(f"removed WordPress shortcodes {names}; check what they showed")
    excerpt = plain_text(post.values.get("excerpt:encoded") or "")

    headline = plain_text(post.get("title"))
    keep_as_draft = False
    if not headline:
        if not content.text:
            return Notice(path, post.line, f"post {post_id}: an empty post with no title; skipped")
        headline = draw_headline(content.text)
        keep_as_draft = True
        warn("no title; drawn from the first sentence, kept as a draft")
    elif status == Status.PUBLISHED and published_at is None:
        warn("no post_date_gmt; it is published at the time of the import")
    elif wp_status == "future" and published_at <= datetime.now(UTC):
        warn(f"scheduled for {published_at:%Y-%m-%d %H:%M} UTC, which has passed: it is public at once")

    section, tags, lines = None, [], {}
    for domain, nicename, name, line in post.categories:
        if domain == "category" and nicename != UNCATEGORIZED and name:
            if section is None:
                section, lines["section"] = name, line
            else:
                tags.append(name)
                lines.setdefault("tags", line)
        elif domain == "post_tag" and name:
            tags.append(name)
            lines.setdefault("tags", line)

    login = post.get("dc:creator")
    authors_named = None
    if login:
        if login not in authors:
            warn(f"author '{login}' is not in the export's author list; the login is the byline")
        authors_named = [authors.get(login, login)]
        lines["authors"] = post.lines["dc:creator"]

    slug = _slug(post.get("wp:post_name"), warn)
    if slug:
        lines["slug"] = post.lines["wp:post_name"]
    lines["headline"] = post.lines.get("title", post.line)
    lines["body"] = post.lines.get("content:encoded", post.line)
    lines["dek"] = post.lines.get("excerpt:encoded", lines["body"])
    return ArticleRecord(
        path=path,
        source_name=SOURCE_NAME,
        source_id=post_id,
        source_id_given=True,
        headline=headline,
        headline_line=lines["headline"],
        body=content.body,
        dek=excerpt or content.teaser,
        section=section,
        authors=authors_named,
        tags=tags,
        status=status,
        published_at=published_at,
        slug=slug,
        featured=True if post.get("wp:is_sticky") == "1" else None,
        image=image,
        body_pictures=[BodyPicture(offset, ref) for offset, ref in content.figures],
        keep_as_draft=keep_as_draft,
        warnings=warnings,
        line=post.line,
        lines=lines,
    )


def _gmt(path, post, post_id):
    value = post.get("wp:post_date_gmt")
    if not value or value == _NO_DATE:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise ImportProblem(
            path,
            post.lines.get("wp:post_date_gmt", post.line),
            f"post {post_id}: post_date_gmt '{value}' is not a date like 2023-06-18 01:30:00",
        ) from None


def _slug(post_name, warn):
    # WordPress keeps non-ASCII slugs percent-encoded; ours are ASCII (articles/slugs.py).
    name = unquote(post_name)
    if not name:
        return None
    if is_slug(name):
        return name
    slug = slugify(name)
    warn(
        f"slug '{name}' cannot be an address here; "
        + (f"it is now '{slug}'" if slug else "a new one is made")
    )
    return slug or None


class Content(NamedTuple):
    body: str  # Markdown
    teaser: str  # the plain text before <!--more-->, or ""
    shortcodes: list[str]  # the names of the shortcodes removed, each once
    text: str  # the plain text of the whole post
    # (offset of PHOTO_PLACEHOLDER in body, what ``figure`` gave) for each picture in the body.
    figures: list = []


def convert_content(content, figure=None):
    """Return the ``Content`` for a post's HTML ``content``: shortcodes removed, the HTML
    sanitised, then converted to Markdown.

    ``figure``, if given, is called with the ``Figure`` of each ``[caption]`` shortcode around an
    image; what it returns (unless None, which removes the shortcode as any other) is kept in the
    ``Content``'s ``figures``, and the shortcode becomes ``![alt](PHOTO_PLACEHOLDER "caption")``.
    """
    shortcodes = {}

    def remove(match):
        shortcodes.setdefault((match.group(1) or match.group(2)).lower(), None)
        return ""

    # Each picture stands in the HTML as a word no post can hold until the Markdown is made.
    marker, figures = f"N{uuid.uuid4().hex}F", []
    if figure is not None:

        def keep(match):
            found = caption_figure(match)
            kept = figure(found) if found is not None else None
            if kept is None:
                return match.group()
            figures.append((found, kept))
            return f"<p>{marker}{len(figures) - 1}E</p>"

        content = CAPTION_SHORTCODE.sub(keep, content)

    content = _NOTEASER.sub("", content)
    parts = _MORE.split(content, maxsplit=1)
    teaser = ""
    if len(parts) == 3:
        before, after = parts[0], parts[2]
        teaser = plain_text(re.sub(rf"{marker}\d+E", "", _remove_shortcodes(before, remove)))
        content = before + "\n\n" + after
    content = _remove_shortcodes(content, remove)
    cleaned = nh3.clean(
        _paragraphs(content),
        tags=_CONVERTED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    markdown = markdownify(cleaned, heading_style="ATX", bullets="-", newline_style="backslash")
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    markdown, placed = place_figures(markdown, marker, figures)
    text = SPACE_RUN.sub(" ", re.sub(rf"{marker}\d+E", "", plain_text(cleaned))).strip(" ")
    return Content(markdown + "\n" if markdown else "", teaser, list(shortcodes), text, placed)


def _remove_shortcodes(content, remove):
    # Enclosing ones first, so [caption]…[/caption] goes whole, image and caption text with it.
    previous = None
    while previous != content:
        previous = content
        content = _ENCLOSING_SHORTCODE.sub(remove, content)
    return _SELF_CLOSING_SHORTCODE.sub(remove, content)


def _paragraphs(content):
    """Wrap text blocks in <p> as WordPress's wpautop() does on display: the classic editor
    stores paragraphs as blank-line-separated text, and single line ends as <br>."""
    if _HAS_PARAGRAPHS.search(content):
        return content
    blocks = []
    for block in _BLANK_LINES.split(content.replace("\r\n", "\n")):
        block = block.strip()
        if not block:
            continue
        if _BLOCK_START.match(block):
            blocks.append(block)
        else:
            blocks.append("<p>" + block.replace("\n", "<br>\n") + "</p>")
    return "\n".join(blocks)
