"""Public pages. Each picks a queryset from ``Article.objects.published()`` and a template."""

import logging
from itertools import groupby
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, TemplateView

from articles import caching, health, page_extras, page_keys, paging, search
from articles.addresses import absolute_url
from articles.filtering import DateRange, ListFilters
from articles.models import Article, ArticleAuthor, Author, Section, SlugRedirect, TaggedArticle
from articles.models.workflow import desk_time
from articles.paging import BoundedPaginator
from articles.preview import NEW_STORY, article_id_from_token, may_preview_typed_text, unsaved_copy
from articles.revalidation import revalidated
from articles.structured_data import article_graph, as_json_ld

logger = logging.getLogger(__name__)

FRONT_PAGE_LATEST = 10
FRONT_PAGE_PER_SECTION = 4
TAG_FACETS_SHOWN = 20
# Topic facets are drawn from the newest this-many matching stories, so a list page costs the same
# however many stories match; their counts are shown only when they cover every match.
FACET_SAMPLE = 500

# Anonymous pages may be stored, but are revalidated on every use (articles/revalidation.py).
public_page = method_decorator(revalidated, name="dispatch")


@public_page
class FrontPage(TemplateView):
    template_name = "articles/home.html"

    def get_context_data(self, **kwargs):
        page_keys.declare(page_keys.FRONT)
        public = Article.objects.published()
        lead = public.lead_story()
        others = public.exclude(pk=lead.pk) if lead else public
        latest = list(others.newest_first().for_card()[:FRONT_PAGE_LATEST])
        in_sections = list(
            others.top_per_section(FRONT_PAGE_PER_SECTION)
            .for_card()
            .order_by("section__position", "section__name", "-published_at", "-pk")
        )
        blocks = [
            {"section": section, "articles": list(articles)}
            for section, articles in groupby(in_sections, key=lambda article: article.section)
        ]
        return super().get_context_data(
            lead=lead,
            latest=latest,
            section_blocks=blocks,
            front_extras=page_extras.for_front_page(self.request),
            **kwargs,
        )


@public_page
class FilteredArticleList(ListView):
    """A list of public articles narrowed by ``tag=`` (all of them) and, on /articles/, ``section=``."""

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 20
    paginator_class = BoundedPaginator
    allow_section_filter = False
    scope_tags = ()

    def get(self, request, *args, **kwargs):
        self.scope = self.get_scope()
        self.filters = ListFilters.from_request(request, allow_section=self.allow_section_filter)
        page_keys.declare(*self.list_keys())
        return super().get(request, *args, **kwargs)

    def get_scope(self):
        """The page's own subject (a section, tag or author), or None for all articles."""
        return None

    def list_keys(self):
        """Which list this is (articles/page_keys.py): retired when a story comes onto it or leaves.
        Narrowed by topics or a section, it changes only with stories of those."""
        narrowed = [page_keys.topic(tag.pk) for tag in self.filters.tags]
        if self.filters.section:
            narrowed.append(page_keys.section(self.filters.section.pk))
        return narrowed or [page_keys.LISTS]

    def scoped(self, queryset):
        return queryset

    def get_queryset(self):
        self.matching = self.filters.apply(self.scoped(Article.objects.published()))
        return self.matching.newest_first().for_list()

    def get_paginator(self, queryset, per_page, **kwargs):
        return super().get_paginator(
            queryset, per_page, counted=self.counted(), bound=self.count_bound(), **kwargs
        )

    def count_bound(self):
        """How far the list's stories are counted when it is narrowed two ways at once (the list
        count's own bound, None, otherwise): such a list finds each story by testing one way's
        stories against the other."""
        tags = [*self.filters.tags, *self.scope_tags]
        in_section = bool(self.filters.section) or isinstance(self.scope, Section)
        ways = len(tags) + in_section + isinstance(self.scope, Author)
        return paging.NARROWED_COUNT_BOUND if ways >= 2 else None

    def counted(self):
        """One topic's stories, or one author's, and nothing else narrowing them, are counted from
        its taggings' or bylines' index (their copy of the release time), not story by story;
        None: count the list itself."""
        tags = [*self.filters.tags, *self.scope_tags]
        if self.filters.section or isinstance(self.scope, Section):
            return None
        if isinstance(self.scope, Author):
            return None if tags else ArticleAuthor.objects.filter(author=self.scope).public_by(timezone.now())
        if len(tags) == 1:
            return TaggedArticle.objects.filter(tag=tags[0]).public_by(timezone.now())
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = [*self.filters.tags, *self.scope_tags]
        facets = self.matching.tag_facets(newest=FACET_SAMPLE, limit=TAG_FACETS_SHOWN, exclude=shown)
        total = context["paginator"].count
        context.update(
            scope=self.scope,
            current_section=self.scope if isinstance(self.scope, Section) else self.filters.section,
            filters=self.filters,
            chips=self.filters.chips(),
            tag_facets=[{"tag": tag, "add_url": self.filters.url_adding(tag)} for tag in facets],
            facet_counts_exact=total <= FACET_SAMPLE,
            total=total,
            more=context["paginator"].more,  # total is then a lower bound: "more than 10,000" (or 1,000)
            page_links=context["paginator"].get_elided_page_range(
                context["page_obj"].number, on_each_side=1, on_ends=1
            ),
            canonical_url=self.canonical_url(context["page_obj"]),
        )
        return context

    def canonical_url(self, page):
        """This list's address with its filters in one order: ?tag=a&tag=b and ?tag=b&tag=a are one
        page to a search engine, so filtered lists can be indexed without duplicates."""
        params = [("section", self.filters.section.slug)] if self.filters.section else []
        params += [("tag", slug) for slug in sorted(tag.slug for tag in self.filters.tags)]
        if page.number > 1:
            params.append(("page", page.number))
        query = f"?{urlencode(params)}" if params else ""
        return absolute_url(f"{self.request.path}{query}")


class ArticleList(FilteredArticleList):
    allow_section_filter = True
    extra_context = {"page_kind": "all"}


class SectionArticles(FilteredArticleList):
    extra_context = {"page_kind": "section"}

    def get_scope(self):
        return get_object_or_404(Section, slug=self.kwargs["slug"])

    def scoped(self, queryset):
        return queryset.in_section(self.scope)

    def list_keys(self):
        return [page_keys.section(self.scope.pk)]


class TagArticles(FilteredArticleList):
    extra_context = {"page_kind": "tag"}

    def get_scope(self):
        tag = get_object_or_404(Article.objects.published().tags_in_use(), slug=self.kwargs["slug"])
        self.scope_tags = (tag,)
        return tag

    def scoped(self, queryset):
        return queryset.tagged_with_all([self.scope])

    def list_keys(self):
        return [page_keys.topic(self.scope.pk)]


class AuthorArticles(FilteredArticleList):
    extra_context = {"page_kind": "author"}

    def get_scope(self):
        return get_object_or_404(Author, slug=self.kwargs["slug"])

    def scoped(self, queryset):
        return queryset.by_author(self.scope)

    def list_keys(self):
        return [page_keys.author(self.scope.pk)]


@public_page
class TagIndex(TemplateView):
    template_name = "articles/tag_index.html"

    def get_context_data(self, **kwargs):
        tags = Article.objects.published().tag_counts().order_by("name")
        return super().get_context_data(tags=tags, **kwargs)


@public_page
class ArticleDetail(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get(self, request, *args, **kwargs):
        self.destination = SlugRedirect.objects.resolve(self.kwargs["slug"])
        if self.destination is None:
            raise Http404("No such article.")
        if self.destination.former:
            # A renamed story keeps answering at its old address.
            return HttpResponsePermanentRedirect(self.destination.article.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.destination.article

    def get_context_data(self, **kwargs):
        article = self.object
        # The page is the story's own (its key came with it, read): no list. Related stories are
        # only linked to, so editing one does not retire every page that lists it as related.
        page_keys.declare()
        related, related_at_edge = [], None
        if page_keys.include_at_edge(self.request):
            related_at_edge = reverse("articles:related", kwargs={"pk": article.pk})
        else:
            related = related_coverage(article)
        extras = page_extras.for_article(article, self.request)
        graph = page_extras.extended_graph(article_graph(article, absolute_url), extras)
        return super().get_context_data(
            related=related,
            related_at_edge=related_at_edge,
            page_extras=extras,
            canonical_url=absolute_url(article.get_absolute_url()),
            structured_data=[as_json_ld(block) for block in graph],
            **kwargs,
        )


def related_coverage(article):
    """The stories shown as related to ``article``, each only linked to (page_keys.mentioning)."""
    # A related story shows only its headline, section and date: none of its text is read.
    with page_keys.mentioning():
        return list(
            Article.objects.published()
            .related_to(article)
            .select_related("section")
            .only("headline", "slug", "published_at", "section__name", "section__slug")
        )


@public_page
class RelatedCoverage(TemplateView):
    """A public article's related coverage alone: the fragment a caching proxy includes in the
    article's page (ESI, page_keys.include_at_edge), cached apart from it, so taking down a story
    retires the fragments that link to it and not the pages around them. Never indexed."""

    template_name = "articles/related.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response

    def get_context_data(self, **kwargs):
        article = get_object_or_404(Article.objects.published(), pk=self.kwargs["pk"])
        # A new story on one of its topics may belong here: the fragment (not the page around it,
        # which has its own copy cached) retires with the topics' lists.
        page_keys.declare(*(page_keys.topic(tag.pk) for tag in article.topics))
        return super().get_context_data(related=related_coverage(article), **kwargs)


class ArticlePreview(DetailView):
    """A draft as readers would see it, through a signed link; never indexed, never cached.

    GET shows the saved story to whoever holds the link. The story form's "Preview" button POSTs the
    text as typed to the same link, and the page shows that, unsaved (preview.unsaved_copy)."""

    template_name = "articles/article_detail.html"
    context_object_name = "article"
    extra_context = {"preview": True}
    http_method_names = ["get", "post", "head", "options"]

    def get_object(self, queryset=None):
        try:
            article_id = article_id_from_token(self.kwargs["token"])
        except signing.BadSignature:
            raise Http404("This preview link is invalid or has expired.") from None
        stored = Article.objects.for_page().filter(pk=article_id).first() if article_id != NEW_STORY else None
        if self.request.method == "POST":
            return unsaved_copy(stored, self.request.POST)
        if stored is None:
            raise Http404("No such article.")
        return stored

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        patch_cache_control(response, private=True, no_store=True)
        return response

    def get_context_data(self, **kwargs):
        # Whoever holds the link is told the story is not to go out yet, in the desk's time.
        article = self.object
        embargo = desk_time(article.embargoed_until) if article.embargo_ahead else None
        return super().get_context_data(embargoed_until=embargo, **kwargs)

    def post(self, request, *args, **kwargs):
        if not may_preview_typed_text(request.user):
            raise PermissionDenied("Only the desk can preview unsaved text.")
        self.extra_context = {"preview": True, "unsaved": True}
        return self.get(request, *args, **kwargs)


@never_cache
def healthz(request):
    # The cache is reported but not required: without it the site serves uncached.
    cache = caching.cache_status()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable", "cache": cache}, status=503)
    # Other apps' checks (articles/health.py): a failing one degrades the report, never the 200 that
    # tells load balancers and the caching proxy this server can take readers.
    checks = health.run_checks()
    status = "ok" if all(healthy for _, healthy in checks.values()) else "degraded"
    report = {"status": status, "database": "ok", "cache": cache}
    return JsonResponse(report | {name: text for name, (text, _) in checks.items()})


def bad_request(request, exception=None):
    message = str(exception) if exception and exception.args else "The request could not be understood."
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: the page must render even when the database is what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


@public_page
class SearchResults(ListView):
    """Full-text search, ranked, narrowed by the list pages' ``section=`` and ``tag=`` filters and
    by a publication date range (``from=``, ``to=``)."""

    template_name = "articles/search.html"
    context_object_name = "articles"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.query = search.clean_query(request.GET.get("q", ""))
        self.filters = ListFilters.from_request(request)
        self.dates = DateRange.from_request(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        matching = self.dates.apply(self.filters.apply(Article.objects.published())).for_list()
        return search.search_articles(self.query, matching)

    def get_context_data(self, **kwargs):
        tags = self.filters.tags
        # Removing a filter keeps the query: each chip carries the other tags' slugs for {% querystring %}.
        chips = [{"tag": tag, "other_slugs": [t.slug for t in tags if t != tag]} for tag in tags]
        return super().get_context_data(
            search_query=self.query,
            searched=self.object_list.searched,
            filters=self.filters,
            chips=chips,
            dates=self.dates,
            total=self.object_list.count(),
            more=self.object_list.more,  # total is then a lower bound: "more than 1,000"
            **kwargs,
        )
