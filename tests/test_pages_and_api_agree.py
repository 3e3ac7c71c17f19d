"""The website and the JSON API answer the same question the same way: a list's filters pick the same
articles and fail alike, and an article's address, current or former, leads to the same story."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from markupsafe import escape

from articles import publishing
from articles.models import Status

WHAT_DRAFTS_CARRY = ["China", "Trade", "Embargoed"]


@pytest.fixture
def coverage(make_article):
    """Four public stories in two sections, and a draft and a scheduled story sharing their tags."""
    now = timezone.now()
    make_article("Tariff talks stall", tags=["China", "Trade"], published_at=now - timedelta(hours=4))
    make_article("Xinjiang report", tags=["China", "Human rights"], published_at=now - timedelta(hours=3))
    make_article(
        "Trade and rights on the table",
        tags=["China", "Trade", "Human rights"],
        published_at=now - timedelta(hours=2),
    )
    make_article(
        "Brussels weighs duties", tags=["Trade"], section="Europe", published_at=now - timedelta(hours=1)
    )
    make_article("Draft on trade", tags=WHAT_DRAFTS_CARRY, status=Status.DRAFT, published_at=None)
    make_article("Scheduled on trade", tags=WHAT_DRAFTS_CARRY, published_at=now + timedelta(days=1))


def page_slugs(response):
    """The articles a list page shows, in its order, by the slug in each card's link."""
    return re.findall(r'class="card__headline"><a href="/articles/([^/"]+)/">', response.content.decode())


def api_slugs(response):
    return [card["slug"] for card in response.json()["results"]]


@pytest.mark.parametrize(
    "query, count",
    [
        ("", 4),
        ("tag=china", 3),
        ("tag=china&tag=trade", 2),
        ("tag=Trade&tag=%20china%20", 2),
        ("tag=trade&tag=trade", 3),
        ("section=europe", 1),
        ("section=world&tag=human-rights", 2),
        ("section=europe&tag=china", 0),
    ],
)
def test_same_filters_same_articles(client, coverage, query, count):
    page = client.get(f"/articles/?{query}")
    api = client.get(f"/api/articles/?{query}")
    assert page.status_code == api.status_code == 200
    assert len(page_slugs(page)) == count
    assert page_slugs(page) == api_slugs(api)
    assert api.json()["count"] == count


@pytest.mark.parametrize(
    "query", ["tag=no-such-topic", "tag=embargoed", "tag=china&tag=nope", "section=nowhere"]
)
def test_unknown_tag_or_section_is_404_on_both(client, coverage, query):
    page = client.get(f"/articles/?{query}")
    api = client.get(f"/api/articles/?{query}")
    assert page.status_code == api.status_code == 404
    assert "Page not found" in page.content.decode()
    assert api.json()["detail"].startswith(("No topic", "No section"))


@pytest.mark.parametrize(
    "query",
    [
        "tag=%3Cscript%3E",
        "tag=a%20b",
        "tag=%E4%B8%AD%E5%9B%BD",
        "tag=" + "x" * 101,
        "tag=a&tag=b&tag=c&tag=d&tag=e&tag=f&tag=g",
        "section=..%2F..%2Fetc",
    ],
)
def test_malformed_filter_is_400_on_both_with_one_message(client, coverage, query):
    page = client.get(f"/articles/?{query}")
    api = client.get(f"/api/articles/?{query}")
    assert page.status_code == api.status_code == 400
    detail = api.json()["detail"]
    assert str(escape(detail)) in page.content.decode()


def renamed(make_article, **fields):
    """A story first published as ``old-address`` and since renamed ``new-address``."""
    article = make_article("Envoy lands in Beijing", slug="old-address", **fields)
    article.slug = "new-address"
    article.save()
    return article


def test_former_slug_leads_page_and_api_to_the_same_article(client, make_article):
    renamed(make_article)
    page = client.get("/articles/old-address/")
    api = client.get("/api/articles/old-address/")
    assert page.status_code == api.status_code == 301
    assert page["Location"] == "/articles/new-address/"
    assert api["Location"] == "/api/articles/new-address/"
    assert client.get(api["Location"]).json()["headline"] == "Envoy lands in Beijing"
    assert "Envoy lands in Beijing" in client.get(page["Location"]).content.decode()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.DRAFT, "published_at": None},
        {"status": Status.REVIEW},
        {"published_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["draft", "review", "scheduled"],
)
def test_former_and_current_slug_of_a_hidden_article_are_404_on_both(client, make_article, fields):
    renamed(make_article, **fields)
    for slug in ("old-address", "new-address"):
        page = client.get(f"/articles/{slug}/")
        api = client.get(f"/api/articles/{slug}/")
        assert page.status_code == api.status_code == 404
        assert "Envoy lands" not in page.content.decode() + api.content.decode()
        assert api.json() == {"detail": f"No article “{slug}”."}


def test_article_unpublished_after_a_rename_is_404_at_both_addresses(client, make_article, editor):
    article = renamed(make_article)
    publishing.unpublish(article, by=editor)
    for url in ("/articles/old-address/", "/articles/new-address/", "/api/articles/old-address/"):
        assert client.get(url).status_code == 404
