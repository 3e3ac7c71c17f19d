"""schema.org data for search engines: a NewsArticle and a BreadcrumbList per article page."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from articles.addresses import absolute_media

# What json_script escapes: nothing in the data can close the <script> element it sits in.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def as_json_ld(data):
    """Return ``data`` as JSON safe to place inside <script type="application/ld+json">."""
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES))


def article_graph(article, absolute):
    """Return the NewsArticle and BreadcrumbList for ``article``; ``absolute`` makes a path a URL.

    The article's bylines, tags and corrections are expected to be prefetched, and its lead picture
    attached in the share ratios (``attach_lead_pictures``).
    """
    url = absolute(article.get_absolute_url())
    publisher = {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME, "url": absolute("/")}
    news_article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.dek,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat(),
        "author": [
            {"@type": "Person", "name": author.name, "url": absolute(author.get_absolute_url())}
            for author in article.byline_authors
        ],
        "articleSection": article.section.name,
        "keywords": [tag.name for tag in article.topics],
        "wordCount": article.word_count,
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "publisher": publisher,
    }
    images = image_objects(article.lead_picture)
    if images:
        news_article["image"] = images
    if article.dateline:
        news_article["dateline"] = article.dateline
    corrections = article.corrections_shown
    if corrections:
        news_article["correction"] = [
            {"@type": "CorrectionComment", "text": c.text, "datePublished": c.date.isoformat()}
            for c in corrections
        ]
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": settings.NEWSROOM_SITE_NAME, "item": absolute("/")},
            {
                "@type": "ListItem",
                "position": 2,
                "name": article.section.name,
                "item": absolute(article.section.get_absolute_url()),
            },
            {"@type": "ListItem", "position": 3, "name": article.headline, "item": url},
        ],
    }
    return [news_article, breadcrumbs]


def image_objects(picture):
    """The story's picture as ImageObjects, one per share ratio (16:9, 4:3, 1:1), widest first in
    each: Google's article rich results want all three, at least 1,200 px wide. A smaller original
    gives smaller crops (renditions are never enlarged), still better than no image. Empty without
    a picture."""
    if picture is None:
        return []
    objects = []
    for version in picture.share_versions():
        url = absolute_media(version.url)
        image = {
            "@type": "ImageObject",
            "url": url,
            "contentUrl": url,
            "width": version.width,
            "height": version.height,
            "encodingFormat": version.mime_type,
        }
        # schema.org has no alt text; its description is the nearest, and what a reader is told.
        described = {"caption": picture.caption, "description": picture.alt, "creditText": picture.credit}
        image.update({key: value for key, value in described.items() if value})
        objects.append(image)
    return objects
