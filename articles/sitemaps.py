"""Sitemaps for crawlers, and the robots.txt that points them there.

``/sitemap.xml`` is an index of three sitemaps (articles, sections, tags), so the archive can grow
past the 50,000 URLs one sitemap may hold: Django splits a long one into pages the index lists.
``/news-sitemap.xml`` follows the Google News schema and lists what went out in the last 48 hours.
Both name each story's lead picture with Google's image extension (``image:image``), fetched for a
whole sitemap page in one query.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import Max
from django.db.models.functions import Greatest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from articles import caching
from articles.addresses import absolute_url
from articles.models import Article, Section, Tag
from articles.pictures import attach_lead_pictures
from articles.revalidation import revalidated

NEWS_WINDOW = timedelta(hours=48)
NEWS_SITEMAP_LIMIT = 1000  # Google News reads no more than this from one news sitemap
# The picture a crawler is pointed at: the widest 16:9 JPEG, the story page's own crop.
SITEMAP_IMAGE_RATIO = "16x9"


# A sitemap page holds up to 50,000 URLs; the stories' ids go to the database this many at a time,
# under every SQLite build's limit on query parameters (32,766 by default).
PICTURE_BATCH = 10_000


def with_pictures(articles):
    """``articles`` with their lead pictures attached: a query per PICTURE_BATCH stories, however
    many of them have a picture."""
    articles = list(articles)
    for start in range(0, len(articles), PICTURE_BATCH):
        attach_lead_pictures(articles[start : start + PICTURE_BATCH], ratios=(SITEMAP_IMAGE_RATIO,))
    return articles


class PicturedPaginator(Paginator):
    """Pages of stories that come with their lead pictures, one query a page."""

    def page(self, number):
        page = super().page(number)
        page.object_list = with_pictures(page.object_list)
        return page


def _last_change(prefix=""):
    """When a list page last changed: the newest publication or update among its articles.

    A scheduled story that goes live changes the page at its publication time, later than its
    last save, so the later of the two counts.
    """
    return Max(Greatest(f"{prefix}published_at", f"{prefix}updated_at"))


class SiteSitemap(Sitemap):
    """A sitemap whose URLs are on the site's canonical origin, never the requested host."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.NEWSROOM_SITE_URL).netloc


class ArticleSitemap(SiteSitemap):
    @property
    def paginator(self):
        return PicturedPaginator(self.items(), self.limit)

    def items(self):
        return Article.objects.published().newest_first().only("slug", "updated_at")

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        # Django's default calls lastmod() on every item; one aggregate does for the index.
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class SectionSitemap(SiteSitemap):
    """Sections with public articles; an empty section page is nothing to crawl."""

    def items(self):
        return (
            Section.objects.filter(articles__in=Article.objects.published())
            .annotate(last_change=_last_change("articles__"))
            .order_by("position", "name")
        )

    def lastmod(self, section):
        return section.last_change

    def get_latest_lastmod(self):
        return Article.objects.published().aggregate(latest=_last_change())["latest"]


class TagSitemap(SiteSitemap):
    """Topics with public articles, as on the /tags/ page."""

    def items(self):
        return (
            Tag.objects.filter(tagged_articles__content_object__in=Article.objects.published())
            .annotate(last_change=_last_change("tagged_articles__content_object__"))
            .order_by("name")
        )

    def lastmod(self, tag):
        return tag.last_change

    def get_latest_lastmod(self):
        tagged = Article.objects.published().filter(tagged_items__isnull=False)
        return tagged.aggregate(latest=_last_change())["latest"]


SITEMAPS = {"articles": ArticleSitemap, "sections": SectionSitemap, "tags": TagSitemap}


@revalidated
@sitemap_views.x_robots_tag
def sitemap_index(request):
    # Django's index view puts the requested host in every location; this one, the site's origin.
    # A story taken down leaves every list it was on, so each sitemap counts as changed then too:
    # crawlers come back and find its URL gone.
    withdrawn = caching.last_withdrawal()
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        location = absolute_url(reverse("sitemap-section", kwargs={"section": section}))
        last_mod = max(filter(None, [sitemap.get_latest_lastmod(), withdrawn]), default=None)
        entries.append({"location": location, "last_mod": last_mod})
        for page in range(2, sitemap.paginator.num_pages + 1):
            entries.append({"location": f"{location}?p={page}", "last_mod": last_mod})
    return TemplateResponse(
        request, "sitemaps/index.xml", {"sitemaps": entries}, content_type="application/xml"
    )


@revalidated
def sitemap_section(request, section):
    return sitemap_views.sitemap(request, SITEMAPS, section=section, template_name="sitemaps/sitemap.xml")


@revalidated
def news_sitemap(request):
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
