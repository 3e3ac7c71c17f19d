"""RSS 2.0 and Atom 1.0 feeds of the newest public articles: everything, per section, per tag and
per author, each in both formats.

Each item carries the whole story (the sanitised ``body_html``) as well as the dek, every name in
the byline, the tags, and both the publication and the last-change time. Its GUID is built from the
article's primary key, so renaming a slug does not make readers see the story twice. A story that
leads with a picture sends it as an enclosure (the 1,200 px 16:9 JPEG) and as Media RSS
``media:content`` with its caption and credit, in RSS and Atom alike.
"""

import copy
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.decorators import method_decorator
from django.utils.html import escape

from articles import page_keys
from articles.addresses import absolute_media, absolute_url
from articles.models import Article, Author, Section
from articles.plain_text import strip_control_characters
from articles.revalidation import revalidated

FEED_LENGTH = 50

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
# The crop and width a feed sends: readers show it wide, and 1,200 px is what they ask for.
FEED_RATIO = "16x9"
FEED_IMAGE_WIDTH = 1200


def _xml_safe(value):
    """``value`` with every string in it stripped of what XML 1.0 cannot carry."""
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    return value


class XmlSafeFeed:
    """A feed generator that drops control characters from every value it is given. They are
    refused on the way in, but one row written some other way must not turn the feed into a 500
    (Django's XML writer raises on them) for every reader."""

    def __init__(self, *args, **kwargs):
        super().__init__(*_xml_safe(args), **_xml_safe(kwargs))

    def add_item(self, *args, **kwargs):
        super().add_item(*_xml_safe(args), **_xml_safe(kwargs))


class HubLinked:
    """A feed generator that names the WebSub hub (``NEWSROOM_WEBSUB_HUB``), when there is one, so
    readers subscribe there and hear of a change in seconds; ``rel="self"`` is Django's already."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if hub := settings.NEWSROOM_WEBSUB_HUB:
            name = "link" if isinstance(self, feedgenerator.Atom1Feed) else "atom:link"
            handler.addQuickElement(name, "", {"rel": "hub", "href": hub})


# Site paths in the sanitised body's attributes (nh3 writes every one in double quotes): links to
# other stories, and a body picture's files, several to a srcset.
_SITE_PATH = re.compile(r'(\s(?:href|src)=")(/(?!/))')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')
_SRCSET_PATH = re.compile(r"(^|,\s*)(/(?!/))")


def with_absolute_addresses(html):
    """``html`` with its site paths made full URLs: a feed reader shows the story away from the site,
    with no page address to resolve ``/media/…`` or ``/articles/…`` against."""

    def absolute(match):
        return match.group(1) + absolute_url(match.group(2))

    html = _SITE_PATH.sub(absolute, html)
    return _SRCSET.sub(lambda m: m.group(1) + _SRCSET_PATH.sub(absolute, m.group(2)) + '"', html)


def add_media_content(handler, picture):
    """Media RSS for a story's picture: where it is, its size and type, what it shows, whose it is.

    feedparser (and readers built on it) takes a ``media:description`` for the item's summary when
    the item has none of its own, so a story without a dek shows its picture's caption there."""
    if picture is None:
        return
    handler.startElement("media:content", {**picture["file"], "medium": "image"})
    if picture["description"]:
        handler.addQuickElement("media:description", picture["description"], {"type": "plain"})
    if picture["credit"]:
        handler.addQuickElement("media:credit", picture["credit"])
    handler.endElement("media:content")


class ArticleRssFeed(HubLinked, XmlSafeFeed, feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with the full story in ``content:encoded``, one ``dc:creator`` per byline name,
    the last change in ``atom:updated`` (RSS has no element of its own for it) and the lead
    picture in ``media:content`` besides its enclosure."""

    def rss_attributes(self):
        namespaces = {"xmlns:content": CONTENT_NS, "xmlns:dc": DC_NS, "xmlns:media": MEDIA_NS}
        return {**super().rss_attributes(), **namespaces}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.addQuickElement("dc:creator", author["name"])
        if item["updateddate"] is not None:
            handler.addQuickElement("atom:updated", feedgenerator.rfc3339_date(item["updateddate"]))
        handler.addQuickElement("content:encoded", item["content"])
        add_media_content(handler, item["picture"])


class ArticleAtomFeed(HubLinked, XmlSafeFeed, feedgenerator.Atom1Feed):
    """Atom 1.0 with the full story in ``<content type="html">``, an ``<author>`` per name, and the
    lead picture in ``media:content`` besides its enclosure link."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author["name"])
            handler.addQuickElement("uri", author["uri"])
            handler.endElement("author")
        handler.addQuickElement("content", item["content"], {"type": "html"})
        add_media_content(handler, item["picture"])


class ArticleFeed(Feed):
    """The newest public articles. Subclasses narrow them to a section or a tag."""

    feed_type = ArticleRssFeed

    # Stored, but revalidated on every use; without Django's Last-Modified, which goes back in time
    # when the newest story is taken down (articles/revalidation.py).
    @method_decorator(revalidated)
    def __call__(self, request, *args, **kwargs):
        # The instance lives in the URLconf and serves every request, on every thread: answer from
        # a copy, so what belongs to one request (its path, for the feed's own URL) stays there.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    # The feed itself.

    def scope(self, obj):
        return Article.objects.published()

    def items(self, obj):
        # Not for_list(): that defers body_html, which the feed sends in full.
        # Bylines, topics and pictures come in each story's card (articles/cards.py): one query.
        return list(self.scope(obj).newest_first().defer("body").with_cards()[:FEED_LENGTH])

    def title(self, obj):
        return settings.NEWSROOM_SITE_NAME

    # Every URL is absolute from the site's canonical origin, so Django's syndication (which would
    # add the requested host to a bare path) leaves it alone.

    def link(self, obj):
        return absolute_url(reverse("articles:home"))

    def feed_url(self, obj):
        return absolute_url(self.request.path)

    def item_link(self, article):
        return absolute_url(article.get_absolute_url())

    def description(self, obj):
        return f"The newest stories from {settings.NEWSROOM_SITE_NAME}."

    # Each article.

    def item_guid(self, article):
        # A tag URI (RFC 4151) from the primary key and the day the article was created: neither
        # changes when the slug or the publication time does.
        host = settings.NEWSROOM_ID_AUTHORITY or urlsplit(settings.NEWSROOM_SITE_URL).hostname
        return f"tag:{host},{article.created_at:%Y-%m-%d}:article:{article.pk}"

    item_guid_is_permalink = False

    def item_description(self, article):
        # The dek is plain text; readers take this element as HTML.
        return escape(article.dek) if article.dek else None

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_categories(self, article):
        return [tag.name for tag in article.topics]

    def item_enclosures(self, article):
        image = feed_image(article.lead_picture)
        if image is None:
            return []
        # RSS requires a length; a rendition stored before sizes were recorded says 0, which
        # readers take as unknown.
        return [feedgenerator.Enclosure(absolute_media(image.url), str(image.size), image.mime_type)]

    def item_extra_kwargs(self, article):
        return {
            "content": with_absolute_addresses(article.body_html),
            "authors": [
                {"name": author.name, "uri": absolute_url(author.get_absolute_url())}
                for author in article.byline_authors
            ],
            "picture": media_content(article.lead_picture),
        }


def feed_image(picture):
    """The file a feed sends for ``picture``: its 16:9 JPEG at 1,200 px (or the widest there is)."""
    return picture.fallback(FEED_RATIO, FEED_IMAGE_WIDTH) if picture else None


def media_content(picture):
    """What ``media:content`` says about ``picture``, or None: the caption, or else the alt text,
    is the description a reader is shown."""
    image = feed_image(picture)
    if image is None:
        return None
    attributes = {"url": absolute_media(image.url), "type": image.mime_type}
    attributes.update(width=str(image.width), height=str(image.height))
    if image.size:
        attributes["fileSize"] = str(image.size)
    return {"file": attributes, "description": picture.caption or picture.alt, "credit": picture.credit}


class AtomFeed:
    """What turns one of the feeds below into Atom 1.0: put first among its bases."""

    feed_type = ArticleAtomFeed

    def subtitle(self, obj):
        return self.description(obj)

    def author_name(self, obj):
        # Atom wants an author for every entry; the desk stands behind any story without a byline.
        return settings.NEWSROOM_SITE_NAME

    def item_title(self, article):
        # Atom titles are text unless they say otherwise, so no HTML escaping here (RSS needs it).
        return article.headline


class LatestArticlesFeed(ArticleFeed):
    pass


class LatestArticlesAtomFeed(AtomFeed, LatestArticlesFeed):
    pass


class ScopedFeed(ArticleFeed):
    """A section's, topic's or author's feed: named and linked after its page."""

    def title(self, obj):
        return f"{settings.NEWSROOM_SITE_NAME}: {obj.name}"

    def link(self, obj):
        return absolute_url(obj.get_absolute_url())


class SectionFeed(ScopedFeed):
    def get_object(self, request, slug):
        section = Section.objects.get(slug=slug)
        page_keys.declare(page_keys.section(section.pk))
        return section

    def scope(self, section):
        return Article.objects.published().in_section(section)

    def description(self, section):
        return section.description or f"The newest {section.name} stories from {settings.NEWSROOM_SITE_NAME}."


class SectionAtomFeed(AtomFeed, SectionFeed):
    pass


class TagFeed(ScopedFeed):
    def get_object(self, request, slug):
        tag = Article.objects.published().tags_in_use().get(slug=slug)
        page_keys.declare(page_keys.topic(tag.pk))
        return tag

    def scope(self, tag):
        return Article.objects.published().tagged_with_all([tag])

    def description(self, tag):
        return tag.description or f"The newest stories about {tag.name} from {settings.NEWSROOM_SITE_NAME}."


class TagAtomFeed(AtomFeed, TagFeed):
    pass


class AuthorFeed(ScopedFeed):
    """An author's stories, as on the author's page (which is there, if empty, for any author)."""

    def get_object(self, request, slug):
        author = Author.objects.get(slug=slug)
        page_keys.declare(page_keys.author(author.pk))
        return author

    def scope(self, author):
        return Article.objects.published().by_author(author)

    def description(self, author):
        return f"The newest stories by {author.name} from {settings.NEWSROOM_SITE_NAME}."


class AuthorAtomFeed(AtomFeed, AuthorFeed):
    pass
