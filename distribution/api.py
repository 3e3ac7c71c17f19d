"""A public story as IPTC ninjs 2.2 in the JSON API: /api/ninjs/<slug>/.

The same way in as the API's own article (``SlugRedirect.objects.resolve``): only a public story
answers, a former slug answers 301 to the current address, anything else a JSON 404. Its errors,
revalidation headers and page caching are the API's (articles/api.py).
"""

from typing import Annotated, Any

from django.http import HttpResponsePermanentRedirect
from ninja import Router
from pydantic import WithJsonSchema

from articles.api import SLUG_MOVED, api, public_story
from articles.schemas import ArticleSlug, Message
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
    openapi_extra=SLUG_MOVED,
)
def ninjs_story(request, slug: ArticleSlug):
    found = public_story(slug, "api:ninjs_story")
    return found if isinstance(found, HttpResponsePermanentRedirect) else story_as_ninjs(found)


def register():
    api.add_router("/ninjs/", router)
