"""WordPress pictures: a post's ``[caption]`` figures and featured image, found in the export's
uploads folder (``import_articles --uploads DIR``), never downloaded. Split from wxr.py, which
reads the posts; this module reads their pictures."""

import html
import re
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import nh3

from articles.importers import PHOTO_PLACEHOLDER, ImportProblem, PictureRef, control_character_problem

# [caption id="attachment_301" …]<img src="…" alt="…"> Caption text[/caption] (wp_caption: older).
CAPTION_SHORTCODE = re.compile(r"\[(caption|wp_caption)((?:\s[^\]]*)?)\](.*?)\[/\1\]", re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>\]]+))""")
_UPLOADS = "wp-content/uploads/"
# What a picture is credited to when WordPress says nothing of who made it (after the uploader's
# name and the post's author).
UNKNOWN_CREDIT = "Unknown"
# In a picture's alt text, what Markdown would read as markup.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>!&])")
# Whitespace, less the C0 controls Python counts as whitespace (vertical tab, form feed, \x1c-\x1f):
# collapsing one into a space would hide it from the import's check, which refuses it.
SPACE_RUN = re.compile(r"[^\S\x0b\x0c\x1c-\x1f]+")


class Figure(NamedTuple):
    """A ``[caption]`` shortcode's picture, as ``convert_content`` hands it to its ``figure``."""

    src: str  # the <img>'s address
    alt: str
    caption: str
    attachment_id: str  # from id="attachment_301", or ""
    offset: int  # where the shortcode starts in the content


def caption_figure(match):
    """The ``Figure`` of a ``[caption]`` shortcode ``match``, or None when it holds no image."""
    image = _IMG.search(match.group(3))
    if image is None:
        return None
    shortcode, img = _attributes(match.group(2)), _attributes(image.group())
    caption = shortcode.get("caption") or _IMG.sub("", match.group(3))
    attachment = shortcode.get("id", "")
    return Figure(
        src=img.get("src", ""),
        alt=plain_text(img.get("alt", "")),
        caption=plain_text(caption),
        attachment_id=attachment.removeprefix("attachment_") if attachment.startswith("attachment_") else "",
        offset=match.start(),
    )


def _attributes(markup):
    """The attributes in ``markup`` (a tag, or a shortcode's), entities decoded, by lower-case name."""
    found = {}
    for name, *values in _ATTRIBUTE.findall(markup):
        found.setdefault(name.lower(), html.unescape(next((v for v in values if v), "")))
    return found


def place_figures(markdown, marker, figures):
    """Put each figure's Markdown where its marker is; return (the Markdown, [(offset of
    ``PHOTO_PLACEHOLDER``, what ``figure`` gave)]). A marker the sanitiser dropped drops its figure."""
    placed, pieces, end = [], [], 0
    for match in re.finditer(rf"{marker}(\d+)E", markdown):
        found, kept = figures[int(match.group(1))]
        pieces.append(markdown[end : match.start()])
        start = sum(map(len, pieces)) + len(f"![{_markdown_text(found.alt)}](")
        title = f' "{_markdown_title(found.caption)}"' if found.caption else ""
        pieces.append(f"![{_markdown_text(found.alt)}]({PHOTO_PLACEHOLDER}{title})")
        placed.append((start, kept))
        end = match.end()
    pieces.append(markdown[end:])
    return "".join(pieces), placed


def _markdown_text(text):
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _markdown_title(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


class PostPictures:
    """The picture files of one post, in the export's uploads folder (``uploads``), or the warning
    that they are left out without it."""

    def __init__(self, path, post, authors, attachments, uploads):
        self.path, self.post, self.authors = path, post, authors
        self.attachments, self.uploads = attachments, uploads
        self.post_id = post.get("wp:post_id")
        self.left_out, self.notes = [], []

    def figure(self, found):
        """The ``PictureRef`` for a ``[caption]`` shortcode's ``Figure``, or None to remove it."""
        if self.uploads is None:
            self.left_out.append("[caption]")
            return None
        raw = self.post.values.get("content:encoded") or ""
        line = self.post.lines.get("content:encoded", self.post.line) + raw.count("\n", 0, found.offset)
        relative = self._relative(found.src, "picture", line)
        if relative is None:
            self.notes.append(f"picture {found.src or '(no src)'} is not in wp-content/uploads; left out")
            return None
        return self._ref(
            relative,
            f"picture '{relative}'",
            alt=found.alt,
            caption=found.caption,
            attachment=self.attachments.get(found.attachment_id),
            line=line,
        )

    def featured_image(self):
        """The ``PictureRef`` of the post's featured image, or None."""
        value, line = self.post.meta.get("_thumbnail_id", ("", 0))
        if not value or value == "0":
            return None
        if self.uploads is None:
            self.left_out.insert(0, "featured image")
            return None
        attachment = self.attachments.get(value)
        if attachment is None:
            self.notes.append(f"featured image (attachment {value}) is not in this export; left out")
            return None
        relative = self._relative(attachment.url, "featured image", line)
        if relative is None:
            self.notes.append(f"featured image {attachment.url} is not in wp-content/uploads; left out")
            return None
        return self._ref(
            relative,
            f"featured image '{relative}'",
            alt=attachment.alt,
            caption=attachment.caption,
            attachment=attachment,
            line=line,
        )

    def warnings(self):
        found = list(self.notes)
        if self.left_out:
            counts = {name: self.left_out.count(name) for name in self.left_out}
            what = " and ".join(
                "its featured image"
                if name == "featured image"
                else f"{count} {name} picture" + "s" * (count > 1)
                for name, count in counts.items()
            )
            found.append(
                f"pictures left out ({what}): import with --uploads DIR, the export's "
                "wp-content/uploads folder, to bring them in; nothing is downloaded"
            )
        return found

    def _relative(self, url, what, line):
        """The path of ``url`` under the uploads folder, or None when it is not in one. Raises
        ``ImportProblem`` at ``line`` for an address that leads out of the folder."""
        address = unquote(urlsplit(url.strip()).path)
        at = address.find(_UPLOADS)
        if at < 0 or (at > 0 and address[at - 1] != "/"):
            return None
        relative = address[at + len(_UPLOADS) :]
        if not relative.strip("/"):
            return None
        where = f"post {self.post_id}: {what} address '{url}'"
        if relative.startswith("/") or ".." in PurePosixPath(relative).parts:
            raise ImportProblem(self.path, line, f"{where} leads out of the uploads folder")
        if problem := control_character_problem(relative):
            raise ImportProblem(self.path, line, f"{where} {problem}")
        return relative

    def _ref(self, relative, label, *, alt, caption, attachment, line):
        uploader = attachment.uploader if attachment is not None else ""
        credit = (
            self.authors.get(uploader)
            or self.authors.get(self.post.get("dc:creator"))
            or self.post.get("dc:creator")
            or UNKNOWN_CREDIT
        )
        return PictureRef(
            file=self.uploads.joinpath(*PurePosixPath(relative).parts),
            folder=self.uploads,
            label=f"post {self.post_id}: {label}",
            alt=alt,
            caption=caption,
            credit=credit,
            line=line,
        )


def plain_text(fragment):
    """Return the text of an HTML ``fragment``: no tags (nor script or style content), entities
    decoded, whitespace collapsed."""
    text = html.unescape(nh3.clean(fragment, tags=set(), strip_comments=True))
    return SPACE_RUN.sub(" ", text).strip(" ")
