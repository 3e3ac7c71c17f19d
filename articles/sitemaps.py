"""Sitemaps for crawlers, and the robots.txt that points them there.

``/sitemap.xml`` is an index of three sitemaps (articles, sections, tags), so the archive can grow
past the 50,000 URLs one sitemap may hold. The articles sitemap is cut into pages by id range and
written from rows (``article_urls``), so every page and the index cost the same few indexed queries
at 1,000 stories or 1,000,000; sections and tags are few enough for Django's sitemap view.
``/news-sitemap.xml`` follows the Google News schema and lists what went out in the last 48 hours.
Both name each story's lead picture with Google's image extension (``image:image``), fetched for a
whole sitemap page in one query.
"""

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from articles import caching, page_keys
from articles.addresses import absolute_media, absolute_url, slug_address
from articles.models import Article, Section, Tag, TaggedArticle
from articles.pictures import attach_lead_pictures, largest_lead_images
from articles.revalidation import revalidated

NEWS_WINDOW = timedelta(hours=48)
NEWS_SITEMAP_LIMIT = 1000  # Google News reads no more than this from one news sitemap
# The picture a crawler is pointed at: the widest 16:9 JPEG, the story page's own crop.
SITEMAP_IMAGE_RATIO = "16x9"

# The articles sitemap is cut into pages by id: page N holds the public stories with ids in
# ((N - 1) * ARTICLES_PER_PAGE, N * ARTICLES_PER_PAGE]. A page is a primary-key range scan, never
# an OFFSET deep into the table, and nothing needs counting. Pages stay
# put as the archive grows (new stories land on the last one); a page may hold fewer URLs than
# this (drafts, deletions), never more. 10,000 keeps a page well under the protocol's 50,000.
ARTICLES_PER_PAGE = 10_000
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
# The stories updated last that _newest_update looks among first.
RECENT_UPDATES = 100


def with_pictures(articles):
    """``articles`` with their lead pictures attached, in one query."""
    articles = list(articles)
    attach_lead_pictures(articles, ratios=(SITEMAP_IMAGE_RATIO,))
    return articles


def w3c(moment):
    """W3C Datetime in UTC, to the second, as the sitemap protocol reads a lastmod."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _newest(queryset, field):
    """The latest ``field`` in ``queryset``: ORDER BY … LIMIT 1, which an index answers by reading
    one end of itself; MAX() over a filtered table is a scan on SQLite."""
    return queryset.order_by(f"-{field}").values_list(field, flat=True).first()


def _newest_update(public):
    """The latest ``updated_at`` among ``public`` (published stories, perhaps filtered further).

    Asked directly (``_newest``), both planners read every public story along the publication-time
    index and sort them: 300 ms at 100,000 stories on SQLite. So the rule is applied to the
    ``RECENT_UPDATES`` released stories updated last, one read along the (status, -updated_at)
    index; only when none of those is in ``public`` (all still scheduled, or none tagged) is the
    whole of it asked, in a second query.
    """
    recent = Article.objects.released().order_by("-updated_at").values("pk")[:RECENT_UPDATES]
    return _newest(public.filter(pk__in=recent), "updated_at") or _newest(public, "updated_at")


def _last_change(queryset):
    """When a list page of ``queryset``'s stories last changed: the newest publication or update.

    A scheduled story that goes live changes the page at its publication time, later than its
    last save, so the later of the two counts. The newest of each, taken apart, is the same as
    the newest greatest of the two, and each is one indexed read.
    """
    return _latest(_newest(queryset, "published_at"), _newest_update(queryset))


def _latest(*moments):
    return max(filter(None, moments), default=None)


def _newest_subquery(queryset, field):
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def _with_last_change(items, stories):
    """``items`` (sections or tags) that have public ``stories``, each with its ``last_change``:
    two correlated, indexed LIMIT 1 reads per item rather than an aggregate over every story."""
    return (
        items.annotate(
            newest_published=_newest_subquery(stories, "published_at"),
            newest_update=_newest_subquery(stories, "updated_at"),
        )
        # Not Exists(stories): PostgreSQL hashes every tagged story per tag for that; the newest
        # publication is one read along the public-stories index.
        .filter(newest_published__isnull=False)
        .annotate(last_change=Greatest("newest_published", "newest_update"))
    )


def _tagged_stories():
    return Article.objects.published().filter(
        Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk")))
    )


class SiteSitemap(Sitemap):
    """A sitemap whose URLs are on the site's canonical origin, never the requested host."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).netloc


class SectionSitemap(SiteSitemap):
    """Sections with public articles; an empty section page is nothing to crawl."""

    def items(self):
        stories = Article.objects.published().filter(section=OuterRef("pk"))
        return _with_last_change(Section.objects.all(), stories).order_by("position", "name")

    def lastmod(self, section):
        return section.last_change


class TagSitemap(SiteSitemap):
    """Topics with public articles, as on the /tags/ page."""

    def items(self):
        stories = Article.objects.published().filter(tagged_items__tag=OuterRef("pk"))
        return _with_last_change(Tag.objects.all(), stories).order_by("name")

    def lastmod(self, tag):
        return tag.last_change

    def get_latest_lastmod(self):
        return _last_change(_tagged_stories())


SITEMAPS = {"sections": SectionSitemap, "tags": TagSitemap}


def article_pages():
    """The numbers of the articles sitemap's pages that hold a public story, in one query that skips
    from page to page: for each, one indexed read of the first public id past it (a recursive
    query, the "loose index scan"), a few dozen reads at a million stories, never a scan of all.
    Only these are listed in the index; an id range with nothing public is left out of it."""
    per_page = ARTICLES_PER_PAGE

    def first_public_id_after(bound):
        # The visibility rule stays the ORM's (published()), its SQL placed inside the recursion.
        first = Article.objects.published().filter(pk__gt=bound).order_by("pk").values("pk")[:1]
        return first.query.sql_with_params()

    start, start_params = first_public_id_after(0)
    step, step_params = first_public_id_after(RawSQL("pages.page * %s", [per_page]))
    sql = (
        "WITH RECURSIVE pages(page) AS ("
        f" SELECT (({start}) - 1) / {per_page:d} + 1"
        f" UNION ALL SELECT (({step}) - 1) / {per_page:d} + 1 FROM pages WHERE page IS NOT NULL"
        ") SELECT page FROM pages WHERE page IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_params, *step_params])
        return [page for (page,) in cursor.fetchall()] or [1]


def article_urls(page):
    """The ``<url>`` entries of one page of the articles sitemap, as XML text: rows as tuples and
    the text joined directly, 10,000 model instances and template nodes being most of the cost."""
    start = (page - 1) * ARTICLES_PER_PAGE
    stories = Article.objects.published().filter(pk__gt=start, pk__lte=start + ARTICLES_PER_PAGE)
    rows = list(stories.order_by("pk").values_list("pk", "slug", "updated_at"))
    if not rows:
        return
    # The page's stories as a subquery: 10,000 ids as parameters cost more than the query itself.
    images = largest_lead_images(stories.values("pk"), SITEMAP_IMAGE_RATIO)
    for pk, slug, updated_at in rows:
        location = escape(absolute_url(slug_address("articles:detail", slug)))
        yield f"  <url>\n    <loc>{location}</loc>\n    <lastmod>{w3c(updated_at)}</lastmod>"
        if pk in images:
            loc = escape(absolute_media(images[pk]))
            yield f"\n    <image:image>\n      <image:loc>{loc}</image:loc>\n    </image:image>"
        yield "\n  </url>\n"


URLSET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
)


def articles_sitemap(request):
    raw = request.GET.get("p", "1")
    if not PAGE_NUMBER.fullmatch(raw):
        raise Http404("No such page of the articles sitemap.")
    entries = list(article_urls(int(raw)))
    # A page past the end, or one whose stories have all gone, is not found; page 1 always is,
    # empty on a site with nothing public yet.
    if not entries and raw != "1":
        raise Http404("No such page of the articles sitemap.")
    return HttpResponse("".join([URLSET_START, *entries, "</urlset>"]), content_type="application/xml")


@revalidated
@sitemap_views.x_robots_tag
def sitemap_index(request):
    page_keys.shows(page_keys.STORIES)  # every story's address and last change (page_keys)
    # Django's index view puts the requested host in every location; this one, the site's origin.
    # A story taken down leaves every list it was on, so each sitemap counts as changed then too:
    # crawlers come back and find its URL gone.
    withdrawn = caching.last_withdrawal()
    public = Article.objects.published()
    newest_update, newest_publication = _newest_update(public), _newest(public, "published_at")
    pages = {
        "articles": (newest_update, article_pages()),
        # Every public story is in a section: the sections changed when the newest one did.
        "sections": (
            _latest(newest_update, newest_publication),
            SectionSitemap().paginator.page_range,
        ),
        "tags": (TagSitemap().get_latest_lastmod(), TagSitemap().paginator.page_range),
    }
    entries = []
    for section, (latest, numbers) in pages.items():
        location = absolute_url(reverse("sitemap-section", kwargs={"section": section}))
        last_mod = _latest(latest, withdrawn)
        for page in numbers:
            address = location if page == 1 else f"{location}?p={page}"
            entries.append({"location": address, "last_mod": last_mod})
    return TemplateResponse(
        request, "sitemaps/index.xml", {"sitemaps": entries}, content_type="application/xml"
    )


@revalidated
def sitemap_section(request, section):
    page_keys.shows(page_keys.STORIES)  # every story's address and last change (page_keys)
    if section == "articles":
        return sitemap_views.x_robots_tag(articles_sitemap)(request)
    return sitemap_views.sitemap(request, SITEMAPS, section=section, template_name="sitemaps/sitemap.xml")


@revalidated
def news_sitemap(request):
    page_keys.shows(page_keys.STORIES)  # every story's address and last change (page_keys)
    recent = Article.objects.published().filter(published_at__gte=timezone.now() - NEWS_WINDOW)
    articles = with_pictures(
        recent.newest_first().only("slug", "headline", "published_at")[:NEWS_SITEMAP_LIMIT]
    )
    context = {
        "articles": articles,
        "site_url": settings.NEWSROOM_SITE_URL,
        "publication_name": settings.NEWSROOM_SITE_NAME,
    }
    return TemplateResponse(request, "sitemaps/news.xml", context, content_type="application/xml")


@revalidated
def robots_txt(request):
    context = {
        "sitemaps": [
            absolute_url(reverse("sitemap")),
            absolute_url(reverse("news-sitemap")),
        ]
    }
    return TemplateResponse(request, "robots.txt", context, content_type="text/plain; charset=utf-8")
