"""A live update retires only the cached pages that show it: the story's page, feeds and updates,
and the front page. Every other cached page stays, so a busy live day keeps the cache full."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from live.models import LiveStory, LiveUpdate, UpdateStatus


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, response.content.decode()


@pytest.fixture
def site(make_article):
    article = make_article("Secretary of State in Beijing: live", tags=["China"], section="Asia")
    other = make_article("Trade talks elsewhere", tags=["Trade"], section="Asia")
    story = LiveStory.objects.create(article=article)
    LiveUpdate.objects.create(story=story, body="Arrived.", status=UpdateStatus.PUBLISHED)
    slug = article.slug
    showing = ["/", f"/articles/{slug}/", f"/feeds/live/{slug}/", f"/api/live/{slug}/updates/"]
    elsewhere = [other.get_absolute_url(), "/articles/", "/sections/asia/", "/tags/china/", "/feeds/latest/"]
    return story, showing, elsewhere


@pytest.mark.django_db(transaction=True)
def test_an_update_retires_the_pages_that_show_it_and_no_other(client, shared_cache, site):
    story, showing, elsewhere = site
    for url in showing + elsewhere:
        get(client, url)
        assert get(client, url)[0]["X-Cache"] == "hit", url
    LiveUpdate.objects.create(
        story=story, headline="Talks begin", body="The two sides sat down.", status=UpdateStatus.PUBLISHED
    )
    for url in showing:
        response, page = get(client, url)
        assert response["X-Cache"] == "miss", url
        assert "Talks begin" in page or "two sides sat down" in page, url
    for url in elsewhere:
        assert get(client, url)[0]["X-Cache"] == "hit", url


@pytest.mark.django_db(transaction=True)
def test_a_draft_update_retires_nothing(client, shared_cache, site):
    story, showing, _ = site
    for url in showing:
        get(client, url)
    LiveUpdate.objects.create(story=story, body="Unconfirmed report.")
    for url in showing:
        response, page = get(client, url)
        assert response["X-Cache"] == "hit", url
        assert "Unconfirmed" not in page


@pytest.mark.django_db(transaction=True)
def test_an_unchanged_poll_is_a_304_from_the_cache(client, shared_cache, site):
    story, _, _ = site
    url = f"/api/live/{story.article.slug}/updates/"
    first, data = get(client, url)
    since_url = f"{url}?{urlencode({'since': first.json()['last_change']})}"
    answer, _ = get(client, since_url)
    assert answer.json()["updates"] == []
    with CaptureQueriesContext(connection) as queries:
        again, _ = get(client, since_url, if_none_match=answer["ETag"])
    assert again.status_code == 304
    assert len(queries) == 1  # the versions' row: the answer came from the cache
    LiveUpdate.objects.create(story=story, body="News.", status=UpdateStatus.PUBLISHED)
    fresh, _ = get(client, since_url, if_none_match=answer["ETag"])
    assert fresh.status_code == 200 and [u["summary"] for u in fresh.json()["updates"]] == ["News."]


@pytest.mark.django_db(transaction=True)
def test_ending_the_coverage_and_the_key_points_retire_the_storys_pages(client, shared_cache, site):
    story, showing, _ = site
    for url in showing:
        get(client, url)
    story.key_points = "- Talks over"
    story.save()
    assert "Talks over" in get(client, showing[1])[1]
    assert get(client, showing[0])[0]["X-Cache"] == "miss"
