"""An unpublish made while Redis is unreachable stays done when Redis comes back.

Each test runs its own redis-server (the ``private_redis`` fixture) and pauses it with SIGSTOP, as
the audit did: the server keeps every page it holds, and answers again with all of them on SIGCONT.
"""

import feedparser
import pytest

from articles import publishing
from articles.models import Article, Status

SLUG = "envoy-lands"
HEADLINE = "Envoy lands in Beijing"
# Every kind of surface the story was cached on.
SURFACES = ["/articles/", "/", "/tags/china/", "/feeds/latest/", "/api/articles/", f"/articles/{SLUG}/"]


@pytest.fixture
def cached_story(client, private_redis, make_article):
    """A public story, with every surface showing it stored in the cache."""
    story = make_article(HEADLINE, tags=["China"], slug=SLUG)
    for url in SURFACES:
        assert client.get(url)["X-Cache"] == "miss", url
        hit = client.get(url)
        assert hit["X-Cache"] == "hit", url
        assert HEADLINE in hit.content.decode(), url
    return story


def unpublish_in_admin(client, editor, story):
    client.force_login(editor)
    response = client.post(
        "/admin/articles/article/",
        {"action": "unpublish", "_selected_action": [story.pk], "index": 0},
        follow=True,
    )
    client.logout()
    return [str(message) for message in response.context["messages"]]


@pytest.mark.django_db(transaction=True)
def test_an_unpublish_during_a_redis_outage_is_not_undone_when_it_returns(
    client, private_redis, cached_story, editor
):
    private_redis.pause()
    try:
        messages = unpublish_in_admin(client, editor, cached_story)
        assert messages == ["1 article unpublished."]
        assert Article.objects.get(pk=cached_story.pk).status == Status.DRAFT
    finally:
        private_redis.resume()
    for url in SURFACES:
        response = client.get(url)
        assert HEADLINE not in response.content.decode(), url
    assert client.get(f"/articles/{SLUG}/").status_code == 404
    assert client.get(f"/api/articles/{SLUG}/").status_code == 404
    feed = feedparser.parse(client.get("/feeds/latest/").content)
    assert [entry.title for entry in feed.entries] == []


@pytest.mark.django_db(transaction=True)
def test_readers_during_the_outage_get_the_truth_uncached(client, private_redis, cached_story, editor):
    private_redis.pause()
    try:
        unpublish_in_admin(client, editor, cached_story)
        during = client.get(f"/articles/{SLUG}/")
        assert during.status_code == 404
        assert "X-Cache" not in during
    finally:
        private_redis.resume()
    assert client.get(f"/articles/{SLUG}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_flushed_redis_and_a_lost_version_row_bring_back_no_old_page(
    client, private_redis, cached_story, editor
):
    """The version lives in the database; if its row is lost (a flushed table), the new one starts
    past every version a page was stored under."""
    from articles.models import ContentVersion

    publishing.unpublish(cached_story, by=editor)
    ContentVersion.objects.all().delete()
    response = client.get("/articles/")
    assert response["X-Cache"] == "miss"
    assert HEADLINE not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_retires_nothing(client, private_redis, cached_story):
    """The version is bumped in the change's own transaction: no change, no retirement."""
    from django.db import transaction

    with transaction.atomic():
        cached_story.headline = "A headline never committed"
        cached_story.save()
        transaction.set_rollback(True)
    assert client.get("/articles/")["X-Cache"] == "hit"
