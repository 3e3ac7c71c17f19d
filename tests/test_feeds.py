"""RSS and Atom feeds, read back with feedparser as a feed reader would."""

import calendar
import html
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.feeds import FEED_LENGTH
from articles.models import Article, Section, Status, Tag
from tests.conftest import build_article, keep_public

RSS_FEEDS = ["/feeds/latest/", "/feeds/sections/world/", "/feeds/tags/china/"]
FEEDS = [*RSS_FEEDS, "/feeds/latest/atom/"]
LATEST = {"rss20": "/feeds/latest/", "atom10": "/feeds/latest/atom/"}

# Words that appear nowhere but in the article a reader must not see.
HIDDEN_WORDS = {"draft": "Quillwort", "review": "Marrowfat", "scheduled": "Sandgrouse"}


def parse(response):
    """The feed as feedparser reads it; fails on anything it had to work around."""
    assert response.status_code == 200
    feed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def moment(parsed):
    """feedparser's UTC time tuple as an aware datetime."""
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def shown(detail):
    """The text a reader displays for a title or summary, whichever way the feed encoded it."""
    return html.unescape(detail.value) if detail.type == "text/html" else detail.value


def entry_for(feed, article):
    return next(
        entry for entry in feed.entries if entry.link == f"http://testserver{article.get_absolute_url()}"
    )


@pytest.fixture
def story(make_article):
    story = make_article(
        "Envoy & minister meet in Beijing",
        dek="The first visit in five years, with trade & Taiwan on the table.",
        body="The envoy landed at dawn.\n\n## What was agreed\n\nTalks ran *late* into the night.",
        authors=["Li Wei", "Ana Ruiz"],  # byline order, not alphabetical
        tags=["Trade", "China"],
        published_at=timezone.now() - timedelta(hours=3),
    )
    story.refresh_from_db()
    return story


@pytest.fixture
def hidden(make_article):
    """A draft, one in review and a scheduled story, in the same section and tag as the public one."""
    return {
        "draft": make_article(
            "Quillwort draft on Xinjiang", tags=["China"], status=Status.DRAFT, published_at=None
        ),
        "review": make_article(
            "Marrowfat review on tariffs", tags=["China"], status=Status.REVIEW, published_at=timezone.now()
        ),
        "scheduled": make_article(
            "Sandgrouse embargoed communique",
            tags=["China"],
            published_at=timezone.now() + timedelta(days=1),
        ),
    }


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_parses_and_carries_the_public_story(client, story, url):
    feed = parse(client.get(url))
    assert feed.version == ("atom10" if "atom" in url else "rss20")
    assert [entry.link for entry in feed.entries] == [f"http://testserver{story.get_absolute_url()}"]


@pytest.mark.parametrize("version", LATEST)
def test_item_carries_the_whole_story(client, story, version):
    entry = entry_for(parse(client.get(LATEST[version])), story)

    assert shown(entry.title_detail) == "Envoy & minister meet in Beijing"
    assert entry.link == f"http://testserver/articles/{story.slug}/"
    assert entry.id == f"tag:testserver,{story.created_at:%Y-%m-%d}:article:{story.pk}"
    assert entry.guidislink is False
    assert moment(entry.published_parsed) == story.published_at.replace(microsecond=0)
    assert moment(entry.updated_parsed) == story.updated_at.replace(microsecond=0)
    assert [author.name for author in entry.authors] == ["Li Wei", "Ana Ruiz"]
    assert sorted(tag.term for tag in entry.tags) == ["China", "Trade"]
    assert shown(entry.summary_detail) == "The first visit in five years, with trade & Taiwan on the table."
    [content] = entry.content
    assert content.type == "text/html"
    assert content.value.strip() == story.body_html.strip()
    assert "<h2>What was agreed</h2>" in content.value
    assert "<em>late</em>" in content.value


def test_atom_names_author_pages_and_the_desk(client, story):
    feed = parse(client.get("/feeds/latest/atom/"))
    assert [author.href for author in entry_for(feed, story).authors] == [
        "http://testserver/authors/li-wei/",
        "http://testserver/authors/ana-ruiz/",
    ]
    assert feed.feed.author == "Newsroom"


def test_rss_writes_the_extension_namespaces_once_on_the_root(client, story):
    raw = client.get("/feeds/latest/").content.decode()
    assert 'xmlns:content="http://purl.org/rss/1.0/modules/content/"' in raw
    assert raw.count('xmlns:dc="http://purl.org/dc/elements/1.1/"') == 1
    assert '<guid isPermaLink="false">' in raw


def test_body_html_arrives_sanitised(client, make_article):
    make_article("Script attempt", body="Hello <script>alert(1)</script> [x](javascript:alert(2))")
    for url in LATEST.values():
        markup = html.unescape(client.get(url).content.decode())
        assert "<script" not in markup
        assert 'href="javascript:' not in markup


@pytest.mark.parametrize(
    "url, title, link, description",
    [
        ("/feeds/latest/", "Newsroom", "/", "The newest stories from Newsroom."),
        ("/feeds/latest/atom/", "Newsroom", "/", "The newest stories from Newsroom."),
        ("/feeds/sections/world/", "Newsroom: World", "/sections/world/", "Diplomacy beyond Asia."),
        ("/feeds/tags/china/", "Newsroom: China", "/tags/china/", "Beijing and its neighbours."),
    ],
)
def test_feed_title_description_and_absolute_links(client, story, url, title, link, description):
    Section.objects.filter(slug="world").update(description="Diplomacy beyond Asia.")
    Tag.objects.filter(slug="china").update(description="Beijing and its neighbours.")
    feed = parse(client.get(url)).feed
    assert feed.title == title
    assert feed.subtitle == description
    assert feed.link == f"http://testserver{link}"
    [self_link] = [link for link in feed.links if link.rel == "self"]
    assert self_link.href == f"http://testserver{url}"


def test_section_and_tag_feeds_without_a_description_say_what_they_carry(client, story):
    section_feed = parse(client.get("/feeds/sections/world/")).feed
    tag_feed = parse(client.get("/feeds/tags/china/")).feed
    assert section_feed.subtitle == "The newest World stories from Newsroom."
    assert tag_feed.subtitle == "The newest stories about China from Newsroom."


def test_section_feed_carries_only_its_section(client, story, make_article):
    make_article("Seoul talks stall", section="Asia", tags=["China"])
    assert [e.title for e in parse(client.get("/feeds/sections/asia/")).entries] == ["Seoul talks stall"]
    assert "Seoul talks stall" not in [e.title for e in parse(client.get("/feeds/sections/world/")).entries]


def test_tag_feed_carries_only_its_tag(client, story, make_article):
    make_article("Climate pledge signed", tags=["Climate"])
    assert [e.title for e in parse(client.get("/feeds/tags/climate/")).entries] == ["Climate pledge signed"]
    assert "Climate pledge signed" not in [e.title for e in parse(client.get("/feeds/tags/china/")).entries]


def test_a_section_without_public_stories_has_an_empty_feed(client, make_article):
    make_article("Draft only", section="Opinion", status=Status.DRAFT, published_at=None)
    feed = parse(client.get("/feeds/sections/opinion/"))
    assert feed.entries == []


@pytest.mark.parametrize("url", ["/feeds/sections/no-such-section/", "/feeds/tags/no-such-topic/"])
def test_unknown_section_or_tag_feed_is_not_found(client, story, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("version", LATEST)
def test_guid_survives_a_slug_rename(client, story, version):
    before = entry_for(parse(client.get(LATEST[version])), story)
    story.slug = "envoy-and-minister-meet"
    story.save()
    after = entry_for(parse(client.get(LATEST[version])), story)
    assert after.link == "http://testserver/articles/envoy-and-minister-meet/"
    assert after.id == before.id


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_hold_the_newest_fifty_newest_first(client, make_article, url):
    now = timezone.now()
    articles = [
        make_article(f"Story {n}", tags=["China"], published_at=now - timedelta(minutes=n))
        for n in range(FEED_LENGTH + 5)
    ]
    titles = [entry.title for entry in parse(client.get(url)).entries]
    assert titles == [article.headline for article in articles[:FEED_LENGTH]]


@pytest.mark.parametrize("url", FEEDS)
def test_drafts_review_copy_and_scheduled_stories_never_appear(client, story, hidden, url):
    response = client.get(url)
    feed = parse(response)
    raw = response.content.decode()
    for state, article in hidden.items():
        assert HIDDEN_WORDS[state] not in raw
        assert article.slug not in raw
        assert f":article:{article.pk}<" not in raw
    assert len(feed.entries) == 1


def test_scheduled_story_joins_the_feed_at_its_time(client, story, hidden, time_machine):
    scheduled = hidden["scheduled"]
    time_machine.move_to(scheduled.published_at + timedelta(seconds=1))
    titles = [entry.title for entry in parse(client.get("/feeds/latest/")).entries]
    assert titles[0] == "Sandgrouse embargoed communique"


# url -> queries: the articles, their bylines (with authors), their tags, their lead pictures (one
# query for them all, pictured or not: tests/test_pictures_travel.py); + the section or tag.
EXPECTED_QUERIES = {
    "/feeds/latest/": 1,  # the stories, each with its card (bylines, tags, picture)
    "/feeds/latest/atom/": 1,
    "/feeds/sections/world/": 2,  # + the section
    "/feeds/tags/china/": 2,  # + the tag
}


class TestQueryCounts:
    """On archives of 3 and 60 stories shared by the class: only the chosen one public."""

    @pytest.fixture(scope="class")
    @classmethod
    def archives(cls, shared_rows):
        """3 stories and 60, made once for the class."""
        return {
            count: [
                build_article(tags=["China", "Trade", "Climate"], authors=["Ana Ruiz", "Li Wei"])
                for _ in range(count)
            ]
            for count in (3, 60)
        }

    @pytest.mark.parametrize("count", [3, 60])
    @pytest.mark.parametrize("url", EXPECTED_QUERIES)
    def test_query_count_is_flat(self, client, db, archives, url, count):
        keep_public(archives[count])
        with CaptureQueriesContext(connection) as queries:
            feed = parse(client.get(url))
        assert len(feed.entries) == min(count, FEED_LENGTH)
        assert all(len(entry.authors) == 2 and len(entry.tags) == 3 for entry in feed.entries)
        assert len(queries) == EXPECTED_QUERIES[url], "\n".join(q["sql"] for q in queries)


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_are_revalidated_and_answer_a_conditional_get(client, story, url):
    response = client.get(url)
    assert set(response["Cache-Control"].split(", ")) == {"public", "no-cache"}
    assert "Last-Modified" not in response
    etag = response["ETag"]
    revalidated = client.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""


@pytest.mark.parametrize("url", FEEDS)
def test_an_unpublished_story_leaves_at_the_next_revalidation(client, story, url):
    response = client.get(url)
    Article.objects.filter(pk=story.pk).update(status=Status.DRAFT)
    # A client holding the old copy, asking by ETag or by date, gets the new feed.
    for conditions in (
        {"If-None-Match": response["ETag"]},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ):
        again = client.get(url, headers=conditions)
        if "/tags/" in url:
            # Its topic now has no public story at all: the topic is not found, feed and page alike.
            assert again.status_code == 404
            continue
        assert again.status_code == 200
        assert parse(again).entries == []


def test_guid_authority_can_be_fixed_so_ids_survive_a_move(client, make_article, settings):
    import feedparser

    article = make_article("Envoy lands in Beijing")
    settings.NEWSROOM_ID_AUTHORITY = "newsroom.example"
    feed = feedparser.parse(client.get("/feeds/latest/", HTTP_HOST="localhost").content)
    assert feed.entries[0].id == f"tag:newsroom.example,{article.created_at:%Y-%m-%d}:article:{article.pk}"


@pytest.mark.parametrize("url", [*FEEDS, "/sitemap.xml", "/sitemap-articles.xml", "/news-sitemap.xml"])
def test_feeds_and_sitemaps_are_gzipped_for_clients_that_accept_it(client, story, make_article, url):
    import gzip

    for n in range(20):  # a few hundred bytes would not shrink: gzip leaves those alone
        make_article(f"Talks resume, day {n}", tags=["China"])
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)
