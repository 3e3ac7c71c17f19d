"""A public story as IPTC ninjs 2.2 in the JSON API: /api/ninjs/<slug>/.

The same way in as the API's own article (``SlugRedirect.objects.resolve``): only a public story
answers, a former slug answers 301 to the current address, anything else a JSON 404. Its errors,
revalidation headers and page caching are the API's (articles/api.py).
"""

from typing import Annotated, Any

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from ninja import Router
from pydantic import WithJsonSchema

from articles.api import api
from articles.models import SlugRedirect
from articles.schemas import ARTICLE_SLUG, ArticleSlug, Message
from distribution.ninjs import SCHEMA_URI, story_as_ninjs

router = Router(tags=["ninjs"])

# Documented, not validated on the way out: the document is built to the IPTC's schema and checked
# against it in the tests; its $defs and $refs do not fit inside an OpenAPI document.
NinjsItem = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "title": "NinjsItem",
            "description": f"An IPTC ninjs 2.2 news item, valid against {SCHEMA_URI}.",
            "required": ["uri", "type", "headlines", "bodies"],
            "properties": {
                "uri": {"type": "string", "format": "uri"},
                "type": {"type": "string", "enum": ["text"]},
                "headlines": {"type": "array", "items": {"type": "object"}},
                "bodies": {"type": "array", "items": {"type": "object"}},
            },
        }
    ),
]


@router.get(
    "/{anything:slug}/",
    response={200: NinjsItem, 301: None, 404: Message},
    url_name="ninjs_story",
    summary="One public story as IPTC ninjs 2.2",
    description=(
        "Headline and dek, byline, body (HTML with absolute URLs, and plain text), dateline, section "
        "and topics, dates, lead picture with its renditions, corrections and the page's URL, as an "
        "IPTC ninjs 2.2 news item. A former slug of a public story answers 301 to its current one."
    ),
    openapi_extra={
        "responses": {
            "301": {
                "description": "The story's slug changed; Location is its current address in this API.",
                "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
            }
        }
    },
)
def ninjs_story(request, slug: ArticleSlug):
    # Checked before any query, as for /api/articles/<slug>/: the path takes anything.
    destination = SlugRedirect.objects.resolve(slug) if ARTICLE_SLUG.fullmatch(slug) else None
    if destination is None:
        raise Http404(f"No article “{slug[:40]}”.")
    if destination.former:
        return HttpResponsePermanentRedirect(
            reverse("api:ninjs_story", kwargs={"slug": destination.article.slug})
        )
    return story_as_ninjs(destination.article)


def register():
    api.add_router("/ninjs/", router)
