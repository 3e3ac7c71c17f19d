"""The read-only JSON API: articles, sections and tags, with the website's filters and visibility.

Every article comes from ``Article.objects.published()``. ``tag=`` and ``section=`` are read by the
same ``ListFilters`` as the HTML lists, so they fail the same way: a malformed value is a 400, an
unknown one a 404, both as JSON. A parameter of the wrong type (``page=abc``) is a 400 too, as on
the website (not ninja's 422), listing each problem. The
schema at /api/openapi.json documents every one of these answers.
"""

from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import register_converter, reverse
from django.urls.converters import PathConverter
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError

from articles import page_keys
from articles.addresses import absolute_url
from articles.filtering import DateRange, ListFilters
from articles.models import Article, Section, SlugRedirect
from articles.paging import BoundedPaginator
from articles.revalidation import revalidated
from articles.schemas import (
    ARTICLE_SLUG,
    PAGE_SIZE,
    ArticleFilters,
    ArticleFull,
    ArticlePage,
    ArticleSlug,
    Message,
    SectionOut,
    TagOut,
)
from articles.search import MAX_QUERY_LENGTH, search_articles

api = NinjaAPI(
    title="Newsroom API",
    version="1",
    description=(
        "Read-only JSON for the public coverage: the same articles, filters and visibility as the website. "
        "Errors answer with a JSON body, `{detail: message}`: 404 for what does not exist, 400 for a "
        "malformed request, which for a parameter of the wrong type also lists `problems`."
    ),
    urls_namespace="api",
    # The interactive docs page would load its scripts from a CDN; the schema itself stays public.
    docs_url=None,
    docs_decorator=revalidated,
)
# "view" mode wraps the operation after its exception handlers, so error answers get the header too.
api.add_decorator(revalidated, mode="view")

ERRORS = {400: Message, 404: Message}
# The 301 a story's former slug answers with, as the schema documents it.
SLUG_MOVED = {
    "responses": {
        "301": {
            "description": "The article's slug changed; Location is its current address in this API.",
            "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
        }
    }
}


class AnythingConverter(PathConverter):
    """Every URL below /api/articles/, slashes and newlines included (Django's ``path`` stops at a
    newline), reaches get_article and gets its JSON 404, not the website's HTML one."""

    regex = r"[\s\S]+"


register_converter(AnythingConverter, "anything")


@api.exception_handler(BadRequest)
def bad_request(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Bad request."}, status=400)


@api.exception_handler(ValidationError)
def invalid_parameter(request, exc):
    fields = ("type", "loc", "msg", "ctx")
    problems = [{key: problem[key] for key in fields if key in problem} for problem in exc.errors]
    where = ", ".join(str(problem["loc"][-1]) for problem in problems if problem.get("loc"))
    detail = f"Malformed parameter: {where}." if where else "Malformed request."
    return api.create_response(request, {"detail": detail, "problems": problems}, status=400)


@api.exception_handler(Http404)
def not_found(request, exc):
    # Every Http404 raised on this path carries a message written for the reader.
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.get(
    "/articles/",
    response={200: ArticlePage, **ERRORS},
    summary="List public articles",
    description=(
        "Newest first, or in rank order with `q`. `tag`, `section`, `from`, `to` and `q` combine. "
        "An unknown tag or section, or a page past the last, is a 404."
    ),
    tags=["articles"],
)
def list_articles(request, params: Query[ArticleFilters]):
    # ListFilters reads tag= and section= from the request, exactly as the HTML lists do.
    filters = ListFilters.from_request(request)
    # from= and to= read as /search/ reads them, except that a range ending before it starts is empty,
    # not a 400: the schema can say what a date is, not how two of them must compare.
    dates = DateRange.from_request(request, reversed_ok=True)
    # search_articles limits the query once tidied; the raw limit here makes the schema's maxLength
    # exact, so a client can tell a too-long query before sending it.
    if len(params.q) > MAX_QUERY_LENGTH:
        raise BadRequest(f"A search can be at most {MAX_QUERY_LENGTH} characters long.")
    query = params.q.strip()

    matching = dates.apply(filters.apply(Article.objects.published())).for_list()
    # Both take their card data (section, bylines, tags, picture) from for_list(): one query a page.
    ordered = search_articles(query, matching) if query else matching.newest_first()

    # A search bounds its own count; a plain list's is bounded by its paginator (articles/paging.py).
    paginator = Paginator(ordered, PAGE_SIZE) if query else BoundedPaginator(ordered, PAGE_SIZE)
    try:
        current = paginator.page(params.page)
    except EmptyPage:
        raise Http404(f"There is no page {params.page}; the last is {paginator.num_pages}.") from None

    def page_url(number):
        # The filters as understood (slugs lower-cased, repeats dropped), so links are canonical.
        pairs = [("tag", tag.slug) for tag in filters.tags]
        pairs += [("section", filters.section.slug)] if filters.section else []
        pairs += [("q", query)] if query else []
        pairs += [("from", dates.start.isoformat())] if dates.start else []
        pairs += [("to", dates.end.isoformat())] if dates.end else []
        return absolute_url(f"{request.path}?{urlencode([*pairs, ('page', number)])}")

    return {
        "count": paginator.count,
        "more_than_count": ordered.more if query else paginator.more,
        "page": current.number,
        "pages": paginator.num_pages,
        "next": page_url(current.next_page_number()) if current.has_next() else None,
        "previous": page_url(current.previous_page_number()) if current.has_previous() else None,
        "results": list(current.object_list),
    }


@api.get(
    "/articles/{anything:slug}/",
    response={200: ArticleFull, 301: None, 404: Message},
    summary="One public article",
    description=(
        "With its body and corrections. A former slug of a public article answers 301 to its current one."
    ),
    tags=["articles"],
    openapi_extra=SLUG_MOVED,
)
def get_article(request, slug: ArticleSlug):
    return public_story(slug, "api:get_article")


def public_story(slug, url_name):
    """The public story at ``slug``, or a 301 to its current address at API operation ``url_name``
    when ``slug`` is a former one; a 404 otherwise. Every story address of the API goes through it
    (and so through ``SlugRedirect.objects.resolve``, the article page's own way in)."""
    # Checked before any query: the path takes anything, and PostgreSQL refuses some characters outright.
    destination = SlugRedirect.objects.resolve(slug) if ARTICLE_SLUG.fullmatch(slug) else None
    if destination is None:
        raise Http404(f"No article “{slug[:40]}”.")
    if destination.former:
        return HttpResponsePermanentRedirect(reverse(url_name, kwargs={"slug": destination.article.slug}))
    page_keys.declare()  # the story's own answer, named by it (page_keys): in no list
    return destination.article


@api.get(
    "/sections/",
    response=list[SectionOut],
    summary="Sections",
    description="Every section in navigation order, with how many public articles each has.",
    tags=["sections"],
)
def list_sections(request):
    public = Article.objects.published()
    return Section.objects.annotate(article_count=Count("articles", filter=Q(articles__in=public))).order_by(
        "position", "name"
    )


@api.get(
    "/tags/",
    response=list[TagOut],
    summary="Tags",
    description="Every tag that has public articles, by name, with how many it has.",
    tags=["tags"],
)
def list_tags(request):
    return Article.objects.published().tag_counts().order_by("name")
