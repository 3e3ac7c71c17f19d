"""A public story as an IPTC ninjs 2.2 news item (https://iptc.org/standards/ninjs/), for partners
that take our coverage by API (/api/ninjs/<slug>/) or by webhook.

One document carries everything a partner republishes from: the headline and dek, the byline, the
body (sanitised HTML with full URLs, and plain text), the dateline, the section and topics, the
dates, the lead picture with its files, the corrections and the story's address on the site. It is
checked against the IPTC's own schema, shipped in ``schemas/`` (tests/test_ninjs.py).

Where ninjs 2.2 has no field of its own, the nearest one is used with a role saying what it holds:
bylines are ``people`` with ``rel`` "author" (and the ``by`` line), the section is a subject with
``rel`` "section", corrections are ``descriptions`` with ``role`` "correction", and the page on the
site is the rendition named "web".
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from lxml import html as lxml_html

from articles.addresses import absolute_media, absolute_url
from articles.feeds import ArticleFeed, with_absolute_addresses
from articles.schemas import every_version

NINJS_VERSION = "2.2"
SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "ninjs-schema_2.2.json"
LANGUAGE = "en"
# The name under which a story's lead picture travels in ``associations``.
LEAD_PICTURE = "featureimage"

_LIST_TAGS = frozenset({"ul", "ol"})


def ninjs_schema():
    """The IPTC's ninjs 2.2 JSON schema, as shipped with this app."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def story_uri(article):
    """The story's ninjs ``uri``: the same tag URI as its GUID in the feeds (articles/feeds.py), so a
    partner reading both sees one story, and a renamed slug does not make it a new one."""
    return ArticleFeed().item_guid(article)


def story_as_ninjs(article):
    """``article`` (a public story read with ``for_page()``: its body, section and card data) as a
    ninjs 2.2 document: a dict ready for ``json.dumps``, every date ISO 8601, every URL absolute."""
    site = settings.NEWSROOM_SITE_NAME
    url = absolute_url(article.get_absolute_url())
    authors = article.byline_authors
    picture = article.lead_picture
    published = article.published_at
    item = {
        "uri": story_uri(article),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": SCHEMA_URI},
        "type": "text",
        "representationtype": "full",
        # The profiles the ninjs guide suggests: what a receiver should expect to find.
        "profile": "text-photo" if picture else "text-only",
        # The story's edit counter, bumped by every save of the story itself (articles/models/
        # stories.py). A correction leaves it as it was and moves only versioncreated (updated_at);
        # a new lead picture (photos/) moves neither.
        "version": str(article.edit_version),
        "firstcreated": published.isoformat(),
        "contentcreated": published.isoformat(),
        "versioncreated": article.updated_at.isoformat(),
        "pubstatus": "usable",
        "language": LANGUAGE,
        "copyrightholder": site,
        "copyrightnotice": f"Copyright {published.year} {site}. All rights reserved.",
        "usageterms": f"Republication only under an agreement with {site}.",
        "slugline": article.slug,
        "headlines": headlines(article),
        "bodies": bodies(article),
        "subjects": subjects(article),
        "infosources": [{"name": site, "uri": absolute_url("/")}],
        "renditions": [{"name": "web", "href": url, "contenttype": "text/html", "title": article.headline}],
    }
    if authors:
        item["by"] = byline(authors)
        item["people"] = [
            {"name": author.name, "rel": "author", "uri": absolute_url(author.get_absolute_url())}
            for author in authors
        ]
    if article.dateline:
        item["located"] = article.dateline
    descriptions = story_descriptions(article)
    if descriptions:
        item["descriptions"] = descriptions
    if picture:
        item["associations"] = [picture_item(picture, article)]
    return item


def byline(authors):
    """The byline "By A, B and C", as the story's page prints it (templates/jinja2/includes/byline.html)."""
    names = [author.name for author in authors]
    if len(names) == 1:
        return f"By {names[0]}"
    return f"By {', '.join(names[:-1])} and {names[-1]}"


def headlines(article):
    found = [{"role": "main", "contenttype": "text/plain", "value": article.headline}]
    if article.dek:
        found.append({"role": "sub", "contenttype": "text/plain", "value": article.dek})
    return found


def story_descriptions(article):
    """The dek as the summary, and each correction, oldest first, with its date as the page shows it."""
    found = []
    if article.dek:
        found.append({"role": "summary", "contenttype": "text/plain", "value": article.dek})
    for correction in article.corrections_shown:
        # ninjs has no dated note: the day goes in the text (ISO 8601, the site's time zone, as the
        # page dates it), before the text as the page prints it.
        value = f"{timezone.localtime(correction.date).date().isoformat()}: {correction.text}"
        found.append({"role": "correction", "contenttype": "text/plain", "value": value})
    return found


def bodies(article):
    """The body twice: the sanitised HTML with every site address made a full URL, and plain text,
    a paragraph a line, for receivers that cannot take markup."""
    text = plain_paragraphs(article.body_html)
    counts = {"wordcount": article.word_count, "charcount": len(text)}
    html = with_absolute_addresses(article.body_html)
    return [
        {"role": "main", "contenttype": "text/html", "value": html, **counts},
        {"role": "main", "contenttype": "text/plain", "value": text, **counts},
    ]


def plain_paragraphs(body_html):
    """The text of ``body_html``: one line per paragraph, heading or list item, a blank line between."""
    if not body_html.strip():
        return ""
    blocks = []
    for element in lxml_html.fragments_fromstring(body_html):
        if isinstance(element, str):  # text outside any element
            lines = [element]
        elif element.tag in _LIST_TAGS:
            lines = [item.text_content() for item in element.iterchildren("li")]
        else:
            lines = [element.text_content()]
        blocks.extend(" ".join(line.split()) for line in lines)
    return "\n\n".join(block for block in blocks if block)


def subjects(article):
    """The section, then the topics by name, each with its page on the site as its ``uri``."""
    section = article.section
    found = [
        {
            "name": section.name,
            "rel": "section",
            "literal": section.slug,
            "uri": absolute_url(section.get_absolute_url()),
        }
    ]
    found += [
        {"name": tag.name, "rel": "about", "literal": tag.slug, "uri": absolute_url(tag.get_absolute_url())}
        for tag in article.topics
    ]
    return found


def picture_item(picture, article):
    """The lead picture as an associated ninjs item: what it shows, whose it is, and every stored
    file in the share crops, JPEG first (the one every receiver decodes)."""
    item = {
        "name": LEAD_PICTURE,
        # Minted under the story's URI: the library's own identity of a picture is not ours to publish.
        "uri": f"{story_uri(article)}:picture:{picture.id}",
        "type": "picture",
        "language": LANGUAGE,
        "renditions": [rendition(version) for version in every_version(picture)],
    }
    if picture.credit:
        item["by"] = picture.credit
    descriptions = []
    if picture.caption:
        descriptions.append({"role": "caption", "contenttype": "text/plain", "value": picture.caption})
    if picture.alt:
        descriptions.append({"role": "alt", "contenttype": "text/plain", "value": picture.alt})
    if descriptions:
        item["descriptions"] = descriptions
    return item


def rendition(version):
    found = {
        "name": f"{version.ratio or 'original'}-{version.width}-{version.format}",
        "href": absolute_media(version.url),
        "contenttype": version.mime_type,
        "width": version.width,
        "height": version.height,
    }
    if version.size:
        found["sizeinbytes"] = version.size
    return found
