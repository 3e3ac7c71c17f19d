"""Sitemaps, the Google News sitemap and robots.txt, read back with lxml as a crawler would."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from articles import sitemaps
from articles.models import Article, Section, Status
from articles.sitemaps import NEWS_SITEMAP_LIMIT
from tests.conftest import build_article, keep_public

# Pages of the articles sitemap are id ranges: stories numbered from 1 on both databases.
pytestmark = pytest.mark.usefixtures("article_ids_from_one")

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITEMAPS = ["/sitemap-articles.xml", "/sitemap-sections.xml", "/sitemap-tags.xml"]
URLS = ["/sitemap.xml", *SITEMAPS, "/news-sitemap.xml", "/robots.txt"]

# Words that appear nowhere but in the article a reader must not see.
HIDDEN_WORDS = {"draft": "Quillwort", "review": "Marrowfat", "scheduled": "Sandgrouse"}


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    return etree.fromstring(response.content)


def w3c(moment):
    """How the sitemaps write a time: W3C Datetime in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def absolute(path):
    return f"http://testserver{path}"


def crawl(client):
    """Every URL the sitemap index leads to, with its lastmod, as a crawler collects them."""
    index = parse(client.get("/sitemap.xml"))
    found = {}
    for sitemap in index.iterfind("sm:sitemap", NS):
        location = urlsplit(sitemap.findtext("sm:loc", namespaces=NS))
        assert location.scheme == "http" and location.netloc == "testserver"
        urlset = parse(client.get(f"{location.path}?{location.query}"))
        for url in urlset.iterfind("sm:url", NS):
            found[url.findtext("sm:loc", namespaces=NS)] = url.findtext("sm:lastmod", namespaces=NS)
    return found


@pytest.fixture
def coverage(make_article):
    """Public stories in two sections and two topics, and hidden ones carrying more topics."""
    now = timezone.now()
    public = {
        "envoy": make_article(
            "Envoy lands in Beijing", tags=["China", "Trade"], published_at=now - timedelta(hours=5)
        ),
        "summit": make_article("Summit ends early", tags=["China"], published_at=now - timedelta(hours=2)),
        "seoul": make_article("Seoul talks stall", section="Asia", published_at=now - timedelta(days=3)),
    }
    hidden = {
        "draft": make_article(
            "Quillwort draft on Xinjiang",
            section="Opinion",
            tags=["China", "Taiwan"],
            status=Status.DRAFT,
            published_at=None,
        ),
        "review": make_article(
            "Marrowfat review on tariffs",
            tags=["Trade", "Tariffs"],
            status=Status.REVIEW,
            published_at=now - timedelta(hours=1),
        ),
        "scheduled": make_article(
            "Sandgrouse embargoed communique",
            section="Opinion",
            tags=["China", "Summits"],
            published_at=now + timedelta(hours=6),
        ),
    }
    for article in [*public.values(), *hidden.values()]:
        article.refresh_from_db()
    return public, hidden


def test_sitemap_lists_exactly_the_public_pages_each_with_lastmod(client, coverage):
    public, hidden = coverage
    world = [public["envoy"], public["summit"]]
    china = [public["envoy"], public["summit"]]

    def last_change(articles):
        return w3c(max(max(a.published_at, a.updated_at) for a in articles))

    assert crawl(client) == {
        **{absolute(a.get_absolute_url()): w3c(a.updated_at) for a in public.values()},
        absolute("/sections/world/"): last_change(world),
        absolute("/sections/asia/"): last_change([public["seoul"]]),
        absolute("/tags/china/"): last_change(china),
        absolute("/tags/trade/"): last_change([public["envoy"]]),
    }


def test_list_pages_lastmod_is_when_a_scheduled_story_went_live(client, make_article, time_machine):
    go_live = timezone.now() + timedelta(hours=2)
    story = make_article("Scheduled then live", tags=["China"], published_at=go_live)
    time_machine.move_to(go_live + timedelta(minutes=1))
    found = crawl(client)
    assert found[absolute("/sections/world/")] == w3c(go_live)
    assert found[absolute("/tags/china/")] == w3c(go_live)
    assert found[absolute(story.get_absolute_url())] == w3c(story.updated_at)


def test_index_names_three_sitemaps_each_with_its_newest_change(client, coverage):
    public, _ = coverage
    newest_update = w3c(max(a.updated_at for a in public.values()))
    index = parse(client.get("/sitemap.xml"))
    entries = {
        s.findtext("sm:loc", namespaces=NS): s.findtext("sm:lastmod", namespaces=NS)
        for s in index.iterfind("sm:sitemap", NS)
    }
    assert entries == {
        absolute("/sitemap-articles.xml"): newest_update,
        absolute("/sitemap-sections.xml"): newest_update,
        absolute("/sitemap-tags.xml"): w3c(max(public[k].updated_at for k in ("envoy", "summit"))),
    }


@pytest.mark.parametrize("url", ["/sitemap.xml", *SITEMAPS, "/news-sitemap.xml"])
def test_drafts_review_copy_and_scheduled_stories_never_appear(client, coverage, url):
    _, hidden = coverage
    raw = client.get(url).content.decode()
    for state, article in hidden.items():
        assert HIDDEN_WORDS[state] not in raw
        assert article.slug not in raw
    for only_on_hidden in ("/sections/opinion/", "/tags/taiwan/", "/tags/tariffs/", "/tags/summits/"):
        assert only_on_hidden not in raw


def test_an_unpublished_section_or_tag_drops_out(client, coverage):
    public, _ = coverage
    Article.objects.filter(pk=public["seoul"].pk).update(status=Status.DRAFT)
    Article.objects.filter(pk=public["envoy"].pk).update(status=Status.DRAFT)
    found = crawl(client)
    assert absolute("/sections/asia/") not in found
    assert absolute("/tags/trade/") not in found
    assert absolute(public["envoy"].get_absolute_url()) not in found


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-nothing.xml",
        *(
            f"/sitemap-articles.xml?p={p}"
            for p in ["abc", "9", "0", "-1", "1.5", "", "%EF%BC%91", "99999999999999999999999"]
        ),
        "/sitemap-tags.xml?p=abc",
        "/sitemap-tags.xml?p=2",
    ],
)
def test_unknown_sitemap_or_page_is_not_found(client, coverage, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# The Google News sitemap.


def news_entries(client):
    urlset = parse(client.get("/news-sitemap.xml"))
    return {
        url.findtext("sm:loc", namespaces=NS): url.find("news:news", NS)
        for url in urlset.iterfind("sm:url", NS)
    }


@override_settings(NEWSROOM_SITE_NAME="The Foreign Desk")
def test_news_sitemap_describes_each_story_in_the_news_schema(client, make_article):
    story = make_article("Envoy & minister meet", published_at=timezone.now() - timedelta(hours=3))
    news = news_entries(client)[absolute(story.get_absolute_url())]
    assert news.findtext("news:publication/news:name", namespaces=NS) == "The Foreign Desk"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert news.findtext("news:publication_date", namespaces=NS) == w3c(story.published_at)
    assert news.findtext("news:title", namespaces=NS) == "Envoy & minister meet"


def test_news_sitemap_holds_the_last_48_hours_only(client, coverage, make_article):
    public, _ = coverage
    now = timezone.now()
    edge = make_article("Filed 47 hours ago", published_at=now - timedelta(hours=47))
    old = make_article("Filed 49 hours ago", published_at=now - timedelta(hours=49))
    locations = list(news_entries(client))
    assert locations == [
        absolute(a.get_absolute_url()) for a in (public["summit"], public["envoy"], edge)
    ]  # newest first; Seoul (3 days) and the 49-hour story are out
    assert absolute(old.get_absolute_url()) not in locations


def test_a_story_leaves_the_news_sitemap_48_hours_after_it_went_out(client, make_article, time_machine):
    story = make_article("Short-lived news", published_at=timezone.now() - timedelta(hours=1))
    assert list(news_entries(client)) == [absolute(story.get_absolute_url())]
    time_machine.move_to(story.published_at + timedelta(hours=48, seconds=1))
    assert news_entries(client) == {}


def test_news_sitemap_stops_at_its_limit_keeping_the_newest(client, make_section):
    world = make_section("World")
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Wire story {n}",
            slug=f"wire-story-{n}",
            section=world,
            status=Status.PUBLISHED,
            published_at=now - timedelta(seconds=n + 1),
        )
        for n in range(NEWS_SITEMAP_LIMIT + 1)
    )
    locations = list(news_entries(client))
    assert len(locations) == NEWS_SITEMAP_LIMIT
    assert locations[0] == absolute("/articles/wire-story-0/")
    assert absolute(f"/articles/wire-story-{NEWS_SITEMAP_LIMIT}/") not in locations


# robots.txt


def test_robots_txt_names_both_sitemaps_and_keeps_crawlers_out_of_the_back_office(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "",
        "Sitemap: http://testserver/sitemap.xml",
        "Sitemap: http://testserver/news-sitemap.xml",
    ]


def test_robots_txt_names_the_site_origin_whatever_host_is_asked_for(client, settings):
    settings.NEWSROOM_SITE_URL = "https://news.example.org"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    text = client.get(
        "/robots.txt", headers={"Host": "localhost:6666", "X-Forwarded-Proto": "http"}
    ).content.decode()
    assert "Sitemap: https://news.example.org/sitemap.xml" in text
    assert "Sitemap: https://news.example.org/news-sitemap.xml" in text


# Caching and query counts, for every URL.


@pytest.mark.parametrize("url", URLS)
def test_every_response_is_revalidated_and_answers_a_conditional_get(client, coverage, url):
    response = client.get(url)
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"public", "no-cache"}
    assert "Last-Modified" not in response
    revalidated = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert revalidated.status_code == 304
    assert revalidated.content == b""


@pytest.mark.parametrize("url", ["/sitemap-articles.xml", "/news-sitemap.xml"])
def test_an_unpublished_story_leaves_at_the_next_revalidation(client, coverage, url):
    public, _ = coverage
    response = client.get(url)
    Article.objects.filter(pk=public["summit"].pk).update(status=Status.DRAFT)
    for conditions in (
        {"If-None-Match": response["ETag"]},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ):
        again = client.get(url, headers=conditions)
        assert again.status_code == 200
        assert public["summit"].slug not in again.content.decode()


# url -> queries. The index: when a story last left the site; the newest public update and
# publication (one indexed read each); the articles' pages holding a public story (one recursive
# query); the sections' count; the tags' newest update, publication and count. The articles
# sitemap: its rows, then the lead pictures of every story on the page
# (tests/test_pictures_travel.py). Sections and tags: their count, then their page, each carrying
# its lastmod in that one query.
EXPECTED_QUERIES = {
    "/sitemap.xml": 8,
    "/sitemap-articles.xml": 2,
    "/sitemap-sections.xml": 2,
    "/sitemap-tags.xml": 2,
    "/news-sitemap.xml": 2,
    "/robots.txt": 0,
}


class TestQueryCounts:
    """On archives of 3 and 60 stories shared by the class: only the chosen one public."""

    @pytest.fixture(scope="class")
    @classmethod
    def archives(cls, shared_rows):
        """3 stories and 60, each with a topic of its own, made once for the class."""
        return {
            count: [
                build_article(
                    tags=["China", "Trade", f"Topic {n}"], section=["World", "Asia", "Europe"][n % 3]
                )
                for n in range(count)
            ]
            for count in (3, 60)
        }

    @pytest.mark.parametrize("count", [3, 60])
    @pytest.mark.parametrize("url", EXPECTED_QUERIES)
    def test_query_count_is_flat(self, client, db, archives, url, count):
        keep_public(archives[count])  # and the other archive's stories, and their topics, out of sight
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(queries) == EXPECTED_QUERIES[url], "\n".join(q["sql"] for q in queries)
        if url == "/sitemap-tags.xml":
            assert len(parse(response)) == count + 2
        if url == "/sitemap-sections.xml":
            assert len(parse(response)) == min(count, Section.objects.count())


def test_times_are_written_in_utc_whatever_the_current_time_zone(client, make_article):
    story = make_article("Filed from Beijing", published_at=datetime(2020, 1, 15, 9, 30, tzinfo=UTC))
    with timezone.override("Asia/Shanghai"):
        found = crawl(client)
    assert found[absolute(story.get_absolute_url())].endswith("Z")
    assert found[absolute(story.get_absolute_url())] == w3c(story.updated_at)


# The articles sitemap's pages, cut by id ranges. Two stories a page stand in for 10,000.


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(sitemaps, "ARTICLES_PER_PAGE", 2)


def article_page_locations(client):
    index = parse(client.get("/sitemap.xml"))
    return [
        loc for loc in index.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS) if "sitemap-articles" in loc
    ]


def test_every_public_story_is_on_exactly_one_page_and_no_page_is_over_its_size(
    client, make_article, small_pages
):
    stories = []
    for n in range(7):
        stories.append(make_article(f"Public story {n}"))
        if n % 3 == 0:  # hidden ones in between: their ids leave gaps in the pages
            make_article(f"Quillwort draft {n}", status=Status.DRAFT, published_at=None)
    pages = article_page_locations(client)
    seen = []
    for page in pages:
        urls = parse(client.get(page)).xpath("//sm:url/sm:loc/text()", namespaces=NS)
        assert 1 <= len(urls) <= 2
        seen += urls
    assert sorted(seen) == sorted(absolute(s.get_absolute_url()) for s in stories)
    last = int(pages[-1].partition("?p=")[2] or 1)
    assert client.get(f"/sitemap-articles.xml?p={last + 1}").status_code == 404


def test_a_page_with_nothing_public_is_left_out_of_the_index(client, make_article, small_pages):
    first = make_article("Public first")
    for _ in range(4):  # at least one whole page of drafts
        make_article("Quillwort draft", status=Status.REVIEW)
    last = make_article("Public last")
    pages = article_page_locations(client)
    assert len(pages) == 2
    found = [parse(client.get(page)).xpath("//sm:url/sm:loc/text()", namespaces=NS) for page in pages]
    assert found == [[absolute(first.get_absolute_url())], [absolute(last.get_absolute_url())]]


def test_no_public_story_leaves_one_empty_articles_sitemap(client, make_article):
    make_article("Quillwort draft", status=Status.DRAFT, published_at=None)
    assert article_page_locations(client) == [absolute("/sitemap-articles.xml")]
    assert len(parse(client.get("/sitemap-articles.xml"))) == 0


def test_a_new_story_lands_on_the_last_page_and_the_earlier_pages_stay_put(client, make_article, small_pages):
    for _ in range(4):
        make_article()
    *earlier, last = article_page_locations(client)
    before = {page: client.get(page).content for page in earlier}
    story = make_article("Filed just now")
    after = article_page_locations(client)
    assert after[: len(earlier) + 1] == [*earlier, last]
    assert {page: client.get(page).content for page in earlier} == before
    assert story.slug in client.get(after[-1]).content.decode()


def test_a_story_going_live_on_schedule_appears_on_its_page(client, make_article, small_pages, time_machine):
    go_live = timezone.now() + timedelta(hours=1)
    story = make_article("Sandgrouse embargoed", published_at=go_live)
    assert story.slug not in "".join(client.get(p).content.decode() for p in article_page_locations(client))
    time_machine.move_to(go_live + timedelta(seconds=1))
    assert story.slug in client.get(article_page_locations(client)[-1]).content.decode()


def test_every_article_page_costs_the_same_queries_however_deep(client, make_article, small_pages):
    for n in range(9):
        make_article(tags=["China"], status=Status.PUBLISHED if n % 4 else Status.REVIEW)
    pages = article_page_locations(client)
    assert len(pages) >= 4
    for page in (pages[0], pages[len(pages) // 2], pages[-1]):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        assert len(queries) == EXPECTED_QUERIES["/sitemap-articles.xml"]
    with CaptureQueriesContext(connection) as queries:
        client.get("/sitemap.xml")
    assert len(queries) == EXPECTED_QUERIES["/sitemap.xml"]
