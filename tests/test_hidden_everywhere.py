"""A draft, a story in review and a scheduled story never surface anywhere a reader or a program looks."""

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from articles.models import Status

HIDDEN = {
    "draft": {"status": Status.DRAFT, "published_at": None},
    "review": {"status": Status.REVIEW, "published_at": None},
    "scheduled": {"status": Status.PUBLISHED, "published_at": "future"},
}


@pytest.fixture
def coverage(make_article):
    """One public story and, for each hidden state, a story with its own unmistakable word."""
    public = make_article("Public envoy story", tags=["China"], section="Asia", body="Envoy talks.")
    hidden = {}
    for state, fields in HIDDEN.items():
        word = f"zyx{state}qwv"
        when = timezone.now() + timedelta(days=1) if fields["published_at"] == "future" else None
        hidden[state] = make_article(
            f"Envoy {word} headline",
            slug=f"hidden-{state}",
            tags=["China"],
            section="Asia",
            status=fields["status"],
            published_at=when,
            dek=f"Dek with {word}.",
            body=f"Envoy talks {word} in Beijing.",
        )
    return public, hidden


def surfaces(client, public):
    """Every public surface's text, by URL."""
    urls = [
        "/", "/articles/", "/articles/?tag=china", "/sections/asia/", "/tags/china/", "/tags/",
        "/authors/ana-ruiz/", public.get_absolute_url(),
        "/search/?q=envoy", "/search/?q=zyxdraftqwv", "/search/?q=zyxreviewqwv", "/search/?q=zyxscheduledqwv",
        "/feeds/latest/", "/feeds/latest/atom/", "/feeds/sections/asia/", "/feeds/tags/china/",
        "/sitemap.xml", "/sitemap-articles.xml", "/news-sitemap.xml",
        "/api/articles/", "/api/articles/?q=envoy", "/api/articles/?q=zyxdraftqwv",
        "/api/articles/?tag=china", "/api/tags/", "/api/sections/",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response.content.decode()


def test_hidden_stories_surface_nowhere(client, coverage):
    public, hidden = coverage
    seen_public = False
    for url, text in surfaces(client, public):
        for state in hidden:
            if f"zyx{state}qwv" not in url:  # a search page repeats what was searched for
                assert f"zyx{state}qwv" not in text, f"{state} story leaks on {url}"
            assert f"hidden-{state}" not in text, f"{state} story's slug leaks on {url}"
        seen_public = seen_public or "Public envoy story" in text
    assert seen_public


@pytest.mark.parametrize("state", list(HIDDEN))
def test_hidden_story_addresses_answer_404(client, coverage, state):
    article = coverage[1][state]
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(f"/api/articles/{article.slug}/").status_code == 404


def test_feeds_list_only_the_public_story(client, coverage):
    for url in ("/feeds/latest/", "/feeds/latest/atom/", "/feeds/tags/china/"):
        feed = feedparser.parse(client.get(url).content)
        assert not feed.bozo
        assert [entry.title for entry in feed.entries] == ["Public envoy story"]
