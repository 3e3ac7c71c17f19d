"""The JSON API's shapes: the parameters it reads, what it answers, and the errors it can answer with.

The OpenAPI document at /api/openapi.json is generated from these classes, so a field added here is
documented there.
"""

import re
from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import WithJsonSchema

from articles.addresses import absolute_media, absolute_url
from articles.filtering import MAX_SLUG_LENGTH, MAX_TAGS
from articles.models import Article
from articles.pictures import SHARE_RATIOS
from articles.search import MAX_QUERY_LENGTH
from articles.slugs import slug_pattern

PAGE_SIZE = 20

# The schema states ListFilters' rules exactly (blanks around a slug are ignored, a slug has at most
# MAX_SLUG_LENGTH characters, an empty section= means none), so that generated clients and
# schemathesis agree with the server about what is well formed; tests/test_api.py checks the two
# against each other. WithJsonSchema documents without validating: the checks, and their 400s, stay
# with ListFilters and the view. The slug itself is articles/slugs.py's rule.
_FILTER_SLUG = slug_pattern(MAX_SLUG_LENGTH)
TAG_PATTERN = rf"^\s*{_FILTER_SLUG}\s*$"
SECTION_PATTERN = rf"^\s*(?:{_FILTER_SLUG}\s*)?$"
ARTICLE_SLUG = re.compile(rf"^{slug_pattern(Article._meta.get_field('slug').max_length)}$")

TagSlugs = Annotated[
    list[str],
    WithJsonSchema(
        {"type": "array", "items": {"type": "string", "pattern": TAG_PATTERN}, "maxItems": MAX_TAGS}
    ),
]
SectionSlug = Annotated[str, WithJsonSchema({"type": "string", "pattern": SECTION_PATTERN})]
SearchQuery = Annotated[str, WithJsonSchema({"type": "string", "maxLength": MAX_QUERY_LENGTH})]
# A day (YYYY-MM-DD), or empty for no bound.
OptionalDate = Annotated[
    str, WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]})
]
ArticleSlug = Annotated[str, WithJsonSchema({"type": "string", "pattern": ARTICLE_SLUG.pattern})]
AbsoluteUrl = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]


class ArticleFilters(Schema):
    """The query string of /api/articles/."""

    tag: TagSlugs = Field(
        [], description=f"A tag slug; repeat it for articles carrying all of them (at most {MAX_TAGS})."
    )
    section: SectionSlug = Field("", description="A section slug. Empty means every section.")
    q: SearchQuery = Field(
        "",
        description=(
            'Full-text search over headline, dek, body and tags, with web-search rules ("a phrase", '
            "-excluded, or); results in rank order, best first."
        ),
    )
    # Read by DateRange, as on /search/ (a malformed date is the same 400); declared for the schema.
    from_: OptionalDate = Field(
        "", alias="from", description="Published on or after this day (YYYY-MM-DD, the site's time zone)."
    )
    to: OptionalDate = Field(
        "",
        description=(
            "Published on or before this day (YYYY-MM-DD, the site's time zone). "
            "A range ending before it starts matches nothing."
        ),
    )
    page: int = Field(1, ge=1, description=f"Page number, {PAGE_SIZE} articles a page.")


class SectionRef(Schema):
    slug: str
    name: str


class AuthorRef(Schema):
    slug: str
    name: str


class TagRef(Schema):
    slug: str
    name: str


class RenditionOut(Schema):
    url: AbsoluteUrl
    width: int = Field(description="Pixels.")
    height: int = Field(description="Pixels.")
    format: str = Field(description="avif, webp or jpeg.")
    type: str = Field(description="Its media type, e.g. image/jpeg.")
    ratio: str | None = Field(description="The crop: 16x9, 4x3 or 1x1; null for the picture's own shape.")


class LeadImageOut(Schema):
    """The picture a story leads with, as readers are told about it, and its stored renditions."""

    alt: str = Field(description="What the picture shows, for readers who cannot see it.")
    caption: str = Field(description="May be empty.")
    credit: str = Field(description="Who made it; may be empty.")
    width: int = Field(description="The original's width in pixels.")
    height: int = Field(description="The original's height in pixels.")
    renditions: list[RenditionOut]


def lead_image(picture, versions):
    """``picture`` as the API shows it, with ``versions`` of it; None for a story without one."""
    if picture is None:
        return None
    renditions = [
        {
            "url": absolute_media(v.url),
            "width": v.width,
            "height": v.height,
            "format": v.format,
            "type": v.mime_type,
            "ratio": v.ratio,
        }
        for v in versions
    ]
    texts = {"alt": picture.alt, "caption": picture.caption, "credit": picture.credit}
    return {**texts, "width": picture.width, "height": picture.height, "renditions": renditions}


class ArticleCard(Schema):
    """An article as a list shows it."""

    slug: str
    headline: str
    dek: str = Field(description="The standfirst, plain text.")
    url: AbsoluteUrl = Field(description="The article page on the website.")
    section: SectionRef
    authors: list[AuthorRef] = Field(description="In byline order.")
    tags: list[TagRef] = Field(description="By name.")
    dateline: str = Field(description="Where it was filed, e.g. BEIJING; may be empty.")
    published_at: datetime
    updated_at: datetime
    word_count: int
    reading_minutes: int
    lead_image: LeadImageOut | None = Field(
        description=(
            "The picture the story leads with, or null. In a list, the widest JPEG in each of 16x9, "
            "4x3 and 1x1 (at least 1,200 px wide when the original is); one article lists every rendition."
        )
    )

    @staticmethod
    def resolve_url(article, context):
        return absolute_url(article.get_absolute_url())

    @staticmethod
    def resolve_lead_image(article):
        # Attached for the whole page at once (attach_lead_pictures in the view).
        picture = article.lead_picture
        return lead_image(picture, picture.share_versions() if picture else ())

    @staticmethod
    def resolve_authors(article):
        return article.byline_authors

    @staticmethod
    def resolve_tags(article):
        return article.topics


class CorrectionOut(Schema):
    date: datetime
    text: str


class ArticleFull(ArticleCard):
    """An article with its body, as its page shows it."""

    body_html: str = Field(description="The body, rendered from Markdown and sanitised.")
    corrections: list[CorrectionOut] = Field(description="Oldest first.")

    @staticmethod
    def resolve_corrections(article):
        return article.corrections_shown

    @staticmethod
    def resolve_lead_image(article):
        picture = article.lead_picture
        return lead_image(picture, every_version(picture) if picture else ())


def every_version(picture):
    """Each stored version of ``picture`` in the share ratios: by ratio, then format, narrowest first."""
    return [
        v for ratio in SHARE_RATIOS for fmt in ("jpeg", "webp", "avif") for v in picture.in_shape(ratio, fmt)
    ]


class ArticlePage(Schema):
    """One page of a list of articles."""

    count: int = Field(
        description=(
            "Articles matching, on every page. A search counts to 1,000 at most, a list to 10,000: "
            "with more_than_count true, more match, and the pages hold the best (a search) or the "
            "newest (a list) of those counted."
        )
    )
    more_than_count: bool = Field(False, description="True when more articles match than count says.")
    page: int = Field(description="This page's number, from 1.")
    pages: int = Field(description="How many pages there are (1 when nothing matches).")
    next: AbsoluteUrl | None = Field(description="The next page, or null on the last.")
    previous: AbsoluteUrl | None = Field(description="The previous page, or null on the first.")
    results: list[ArticleCard]


class SectionOut(Schema):
    slug: str
    name: str
    description: str
    url: AbsoluteUrl = Field(description="The section page on the website.")
    article_count: int = Field(description="Public articles in the section.")

    @staticmethod
    def resolve_url(section, context):
        return absolute_url(section.get_absolute_url())


class TagOut(Schema):
    slug: str
    name: str
    description: str
    url: AbsoluteUrl = Field(description="The topic page on the website.")
    article_count: int = Field(description="Public articles carrying the tag.")

    @staticmethod
    def resolve_url(tag, context):
        return absolute_url(tag.get_absolute_url())


class InvalidParameter(Schema):
    type: str = Field(description="The kind of error, e.g. int_parsing.")
    loc: list[str | int] = Field(description="Where: the parameter's location and name, e.g. [query, page].")
    msg: str
    ctx: dict[str, Any] | None = Field(None, description="The constraint that failed, when there is one.")


class Message(Schema):
    """A 400 or 404: what was wrong, in words a person can act on. A parameter of the wrong type or
    out of range (``page=abc``) also lists each problem for a program to read."""

    detail: str = Field(examples=["No topic “trde”."])
    problems: list[InvalidParameter] | None = Field(
        None, description="For a malformed parameter: one entry per problem."
    )
