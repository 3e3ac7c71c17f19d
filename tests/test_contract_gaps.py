"""Smaller gaps between the site and its contract that the outside audit found."""

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from articles import publishing
from articles.models import Article, Status

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


# A topic only drafts or scheduled stories carry is not a topic readers know of yet.


@pytest.fixture
def hidden_topic(make_article):
    make_article("Public story", tags=["China"])
    make_article("Quillwort draft", tags=["Quillwort"], status=Status.DRAFT, published_at=None)
    make_article("Quillwort review", tags=["Quillwort"], status=Status.REVIEW, published_at=None)
    make_article("Quillwort scheduled", tags=["Quillwort"], published_at=timezone.now() + timedelta(days=1))


@pytest.mark.parametrize(
    "url",
    [
        "/tags/quillwort/",
        "/feeds/tags/quillwort/",
        "/articles/?tag=quillwort",
        "/sections/world/?tag=quillwort",
        "/search/?q=story&tag=quillwort",
        "/api/articles/?tag=quillwort",
    ],
)
def test_a_topic_used_only_by_hidden_stories_is_not_found(client, hidden_topic, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"Quillwort" not in response.content.replace(b"quillwort", b"")


def test_the_topic_appears_when_its_first_story_goes_live(client, hidden_topic, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=1, minutes=1))
    response = client.get("/tags/quillwort/")
    assert response.status_code == 200
    assert "Quillwort scheduled" in response.content.decode()


# Sitemaps: lastmod moves only with what crawlers can see.


def lastmods(client):
    """Every lastmod of the sitemap index and of each sitemap it lists, by location."""
    found = {}
    index = etree.fromstring(client.get("/sitemap.xml").content)
    for entry in index.xpath("//sm:sitemap", namespaces=SITEMAP_NS):
        location = entry.findtext("sm:loc", namespaces=SITEMAP_NS)
        found[location] = entry.findtext("sm:lastmod", namespaces=SITEMAP_NS)
        path = location.split("://", 1)[1].split("/", 1)[1]
        urlset = etree.fromstring(client.get(f"/{path}").content)
        for url in urlset.xpath("//sm:url", namespaces=SITEMAP_NS):
            found[url.findtext("sm:loc", namespaces=SITEMAP_NS)] = url.findtext(
                "sm:lastmod", namespaces=SITEMAP_NS
            )
    return found


def test_a_change_to_a_hidden_story_moves_no_sitemap_lastmod(client, make_article, editor, time_machine):
    make_article("Public story", tags=["China"], authors=["Ana Ruiz"])
    draft = make_article("Quillwort draft", tags=["China"], status=Status.DRAFT, published_at=None)
    scheduled = make_article("Sandgrouse", tags=["China"], published_at=timezone.now() + timedelta(days=2))
    before = lastmods(client)
    assert before
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    draft.headline = "Quillwort draft, rewritten"
    draft.save()
    draft.corrections.create(text="Fixed before anyone saw it.")
    draft.tags.add("Trade")
    scheduled.headline = "Sandgrouse, rewritten"
    scheduled.save()
    scheduled.corrections.create(text="Fixed before it went out.")
    assert lastmods(client) == before


# The API's answers to malformed requests and other methods.


@pytest.mark.parametrize(
    "url", ["/api/articles/", "/api/articles/envoy-lands/", "/api/tags/", "/api/openapi.json"]
)
def test_api_answers_head_like_get(client, make_article, url):
    make_article("Envoy lands", slug="envoy-lands", tags=["China"])
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/articles/",
        "/articles/envoy-lands/",
        "/tags/china/",
        "/search/?q=envoy",
        "/feeds/latest/",
        "/feeds/latest/atom/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/robots.txt",
        "/api/articles/",
        "/api/articles/envoy-lands/",
        "/healthz",
        "/admin/login/",
    ],
)
def test_trace_is_refused_everywhere(client, make_article, url):
    make_article("Envoy lands", slug="envoy-lands", tags=["China"])
    response = client.generic("TRACE", url)
    assert response.status_code == 405
    assert b"Envoy" not in response.content
    assert Article.objects.count() == 1


@pytest.mark.parametrize("take_down", ["unpublish", "delete"])
def test_taking_a_story_down_moves_the_sitemap_index_lastmod(
    client, make_article, editor, time_machine, take_down
):
    """Crawlers are told the sitemaps changed, so they come back and find the story's URL gone."""
    make_article("Older story", tags=["China"])
    story = make_article("Envoy lands", tags=["China"], slug="envoy-lands")
    before = lastmods(client)
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    if take_down == "unpublish":
        publishing.unpublish(story, by=editor)
    else:
        story.delete()
    after = lastmods(client)
    for name in ("articles", "sections", "tags"):
        location = f"http://testserver/sitemap-{name}.xml"
        assert after[location] > before[location], name
    assert "http://testserver/articles/envoy-lands/" not in after
