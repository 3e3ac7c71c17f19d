"""Live stories: the reader's page, its pages of updates and permalinks, what readers never see,
and the story's updates everywhere they travel (API, feeds, schema.org, the front page)."""

from datetime import timedelta

import extruct
import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml.html import fromstring

from articles import publishing
from articles.models import Status
from live.models import LiveStory, LiveUpdate, RemovedUpdate, UpdateStatus
from live.pages import UPDATES_PER_PAGE
from tests import schema_org

PUBLISHED = UpdateStatus.PUBLISHED


@pytest.fixture
def live_story(make_article):
    def make(headline="Secretary of State in Beijing: live", **fields):
        article = make_article(headline, tags=["China"], section="Asia", **fields)
        key_points = "- Talks began at nine\n- No joint statement yet"
        return LiveStory.objects.create(article=article, key_points=key_points)

    return make


@pytest.fixture
def post(make_author):
    def post(story, body, *, headline="", status=PUBLISHED, pinned=False, author="Ana Ruiz"):
        return LiveUpdate.objects.create(
            story=story,
            body=body,
            headline=headline,
            status=status,
            pinned=pinned,
            author=make_author(author) if author else None,
        )

    return post


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def ids_in_order(html):
    """The update ids as the page lists them, top to bottom."""
    import re

    return [int(found) for found in re.findall(r'id="update-(\d+)"', html)]


# The reader's page


def test_the_page_shows_key_points_and_updates_newest_first_pinned_on_top(client, live_story, post):
    story = live_story()
    first = post(story, "The motorcade **arrived**.", headline="Arrival")
    pinned = post(story, "Follow the whole day here.", headline="How to follow", pinned=True)
    latest = post(story, "Talks under way.", headline="Talks begin")
    post(story, "Unchecked rumour of a walkout.", status=UpdateStatus.DRAFT)
    html = page_of(client, story.article.get_absolute_url())
    assert ids_in_order(html) == [pinned.pk, latest.pk, first.pk]
    assert "Key points" in html and "<li>Talks began at nine</li>" in html
    assert '<span class="live-badge">Live</span>' in html
    assert "<strong>arrived</strong>" in html
    assert "walkout" not in html
    assert 'href="/feeds/live/' in html  # the story's own feed, for readers who subscribe


def test_an_ended_story_says_so_and_stops_asking_for_news(client, live_story, post):
    story = live_story()
    post(story, "The secretary has left Beijing.")
    story.ended_at = timezone.now() - timedelta(minutes=5)
    story.save()
    html = page_of(client, story.article.get_absolute_url())
    assert "This story has ended" in html
    assert "data-live-poll" not in html  # the page's script has nothing to poll
    assert '<span class="live-badge">Live</span>' not in html


def test_a_corrected_update_is_marked_and_dated(client, live_story, post):
    story = live_story()
    update = post(story, "The talks lasted three hours.")
    update.body = "The talks lasted four hours."
    update.correction = "An earlier version gave the wrong length."
    update.save()
    update.refresh_from_db()
    assert update.corrected_at is not None
    html = page_of(client, story.article.get_absolute_url())
    assert "four hours" in html and "three hours" not in html
    assert "Corrected <time" in html and "An earlier version gave the wrong length." in html


def test_pinning_an_update_is_not_a_correction(live_story, post):
    update = post(live_story(), "Follow along.")
    update.pinned = True
    update.save()
    update.refresh_from_db()
    assert update.corrected_at is None


def test_updates_are_paged_fifty_at_a_time_and_bad_pages_are_404(client, live_story, post):
    story = live_story()
    updates = [post(story, f"Update number {n}.") for n in range(UPDATES_PER_PAGE * 2 + 5)]
    url = story.article.get_absolute_url()
    first, second, third = (ids_in_order(page_of(client, f"{url}?page={n}")) for n in (1, 2, 3))
    newest_first = [update.pk for update in reversed(updates)]
    assert first == newest_first[:50] and second == newest_first[50:100] and third == newest_first[100:]
    assert 'rel="next"' in page_of(client, url)
    for bad in ("4", "0", "-1", "abc", "99999999999999999999"):
        assert client.get(f"{url}?page={bad}").status_code == 404, bad


def test_a_permalink_finds_its_update_on_whichever_page_it_is_now(client, live_story, post):
    story = live_story()
    oldest = post(story, "The first update of the day.")
    for n in range(UPDATES_PER_PAGE + 3):
        post(story, f"Later update {n}.")
    response = client.get(f"/articles/{story.article.slug}/updates/{oldest.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{story.article.slug}/?page=2#update-{oldest.pk}"
    assert f'id="update-{oldest.pk}"' in page_of(client, response["Location"].split("#")[0])


def test_a_permalink_never_reveals_a_draft_or_another_storys_update(client, live_story, post):
    story, other = live_story(), live_story("Another live story")
    draft = post(story, "Not checked yet.", status=UpdateStatus.DRAFT)
    elsewhere = post(other, "Belongs to the other story.")
    assert client.get(f"/articles/{story.article.slug}/updates/{draft.pk}/").status_code == 404
    assert client.get(f"/articles/{story.article.slug}/updates/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/articles/{story.article.slug}/updates/99999/").status_code == 404


@pytest.mark.parametrize("count", [3, 500])
def test_the_live_page_costs_the_same_queries_whatever_it_shows(client, live_story, post, count):
    story = live_story()
    post(story, "Pinned.", pinned=True)
    now = timezone.now()
    LiveUpdate.objects.bulk_create(
        LiveUpdate(story=story, body=f"Update {n}.", body_html=f"<p>Update {n}.</p>", status=PUBLISHED,
                   published_at=now - timedelta(seconds=n))
        for n in range(count - 1)
    )  # fmt: skip
    url = story.article.get_absolute_url()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # sections, the story with its card and live story, related, pinned updates, count, the page
    assert len(queries) == 6, "\n".join(q["sql"] for q in queries)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{url}?page=10" if count > 50 else url).status_code == 200
    assert len(queries) == (5 if count > 50 else 6)  # later pages have no pinned updates to read


def test_an_ordinary_story_page_costs_no_query_more(client, make_article):
    article = make_article("Not a live story", tags=["China"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(article.get_absolute_url()).status_code == 200
    assert len(queries) == 3  # sections, the story (its live story joined in), related


# Readers never see what is not public


@pytest.mark.parametrize(
    "state",
    [
        {"status": Status.DRAFT, "published_at": None},
        {"status": Status.REVIEW, "published_at": None},
        {"status": Status.PUBLISHED, "published_at": "future"},
    ],
)
def test_a_live_story_that_is_not_public_shows_nowhere(client, live_story, post, state):
    if state["published_at"] == "future":
        state = {**state, "published_at": timezone.now() + timedelta(hours=2)}
    story = live_story(**state)
    update = post(story, "Embargoed detail from the talks.")
    slug = story.article.slug
    for url in (
        f"/articles/{slug}/",
        f"/articles/{slug}/updates/{update.pk}/",
        f"/feeds/live/{slug}/",
        f"/feeds/live/{slug}/atom/",
        f"/api/live/{slug}/updates/",
        f"/api/live/{slug}/updates/?since=2020-01-01T00:00:00Z",
    ):
        assert client.get(url).status_code == 404, url
    assert "Embargoed detail" not in page_of(client, "/")
    assert slug not in page_of(client, "/")


def test_unpublishing_the_story_takes_its_updates_off_at_once(client, live_story, post, editor):
    story = live_story()
    post(story, "Talks under way.", headline="Talks begin")
    assert "Talks begin" in page_of(client, "/")
    publishing.unpublish(story.article, by=editor)
    assert client.get(f"/api/live/{story.article.slug}/updates/").status_code == 404
    assert "Talks begin" not in page_of(client, "/")


# The API, for clients that poll


def test_the_api_lists_updates_newest_first_with_everything_a_client_shows(client, live_story, post):
    story = live_story()
    post(story, "First.", headline="One")
    second = post(story, "Second, with a [link](/articles/other/).", headline="Two", pinned=True)
    post(story, "A draft.", status=UpdateStatus.DRAFT)
    data = client.get(f"/api/live/{story.article.slug}/updates/").json()
    assert data["live"] is True and data["ended_at"] is None
    assert [update["headline"] for update in data["updates"]] == ["Two", "One"]
    top = data["updates"][0]
    assert top["id"] == second.pk and top["pinned"] is True and top["author"] == "Ana Ruiz"
    assert top["url"] == f"http://testserver/articles/{story.article.slug}/updates/{second.pk}/"
    assert 'href="http://testserver/articles/other/"' in top["html"]  # usable away from the site


def test_polling_with_nothing_new_is_one_query_and_an_empty_answer(client, live_story, post):
    story = live_story()
    post(story, "First.")
    url = f"/api/live/{story.article.slug}/updates/"
    since = client.get(url).json()["last_change"]
    with CaptureQueriesContext(connection) as queries:
        data = client.get(url, {"since": since}).json()
    assert data["updates"] == [] and data["removed"] == []
    assert len(queries) == 1, "\n".join(q["sql"] for q in queries)


def test_polling_brings_new_corrected_and_removed_updates_and_never_drafts(client, live_story, post):
    story = live_story()
    kept = post(story, "Kept.")
    doomed = post(story, "Will be removed.")
    url = f"/api/live/{story.article.slug}/updates/"
    since = client.get(url).json()["last_change"]

    new = post(story, "New.")
    post(story, "Still a draft.", status=UpdateStatus.DRAFT)
    kept.body = "Kept, corrected."
    kept.save()
    doomed_pk = doomed.pk
    doomed.delete()
    data = client.get(url, {"since": since}).json()
    assert {update["id"] for update in data["updates"]} == {new.pk, kept.pk}
    assert next(u for u in data["updates"] if u["id"] == kept.pk)["corrected_at"] is not None
    assert data["removed"] == [doomed_pk]
    assert RemovedUpdate.objects.count() == 1
    # Asking again from the new last change: nothing.
    assert client.get(url, {"since": data["last_change"]}).json()["updates"] == []


def test_an_update_taken_back_to_draft_is_removed_for_polling_clients(client, live_story, post):
    story = live_story()
    update = post(story, "Posted too soon.")
    url = f"/api/live/{story.article.slug}/updates/"
    since = client.get(url).json()["last_change"]
    update.status = UpdateStatus.DRAFT
    update.save()
    data = client.get(url, {"since": since}).json()
    assert data["removed"] == [update.pk] and data["updates"] == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45T00:00:00Z", "1" * 300])
def test_a_malformed_since_is_a_400_with_a_message(client, live_story, since):
    story = live_story()
    response = client.get(f"/api/live/{story.article.slug}/updates/", {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()["detail"]


def test_the_api_answers_404_for_a_story_that_is_not_live_or_does_not_exist(client, make_article):
    article = make_article("Not live")
    assert client.get(f"/api/live/{article.slug}/updates/").status_code == 404
    assert client.get("/api/live/no-such-story/updates/").status_code == 404
    assert client.get("/api/live/%00bad/updates/").status_code == 404


def test_the_api_documents_the_updates_endpoint(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/live/{slug}/updates/" in schema["paths"]


# Feeds, schema.org and the front page


@pytest.mark.parametrize("suffix", ["", "atom/"])
def test_the_storys_feed_carries_its_updates(client, live_story, post, suffix):
    story = live_story()
    first = post(story, "Arrived.", headline="Arrival")
    post(story, "Talks under way.", headline="Talks begin")
    post(story, "A draft.", headline="Draft", status=UpdateStatus.DRAFT)
    response = client.get(f"/feeds/live/{story.article.slug}/{suffix}")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert [entry.title for entry in feed.entries] == ["Talks begin", "Arrival"]
    assert feed.entries[1].link == f"http://testserver/articles/{story.article.slug}/updates/{first.pk}/"
    assert feed.entries[1].id.endswith(f":live-update:{first.pk}")
    assert "Secretary of State in Beijing" in feed.feed.title


def test_json_ld_is_a_live_blog_posting_with_its_updates(client, live_story, post):
    story = live_story()
    post(story, "Arrived.", headline="Arrival")
    post(story, "Talks under way and going long.")
    story.ended_at = timezone.now()
    story.save()
    story.refresh_from_db()
    url = story.article.get_absolute_url()
    data = extruct.extract(page_of(client, url), base_url=f"http://testserver{url}", syntaxes=["json-ld"])
    postings = [item for item in data["json-ld"] if "LiveBlogPosting" in item["@type"]]
    assert len(postings) == 1
    posting = postings[0]
    assert "NewsArticle" in posting["@type"]  # still the page's one NewsArticle (DESIGN.md)
    assert posting["coverageStartTime"] == story.article.published_at.isoformat()
    assert posting["coverageEndTime"] == story.ended_at.isoformat()
    assert posting["dateModified"] == story.last_change_at.isoformat()
    assert schema_org.problems(data["json-ld"]) == []
    entries = posting["liveBlogUpdate"]
    assert [entry["headline"] for entry in entries] == ["Talks under way and going long.", "Arrival"]
    for entry in entries:
        assert entry["@type"] == "BlogPosting"
        assert entry["url"].startswith(f"http://testserver{url}#update-")
        assert entry["datePublished"] and entry["author"]["name"] == "Ana Ruiz"


def test_the_front_page_shows_each_open_live_storys_latest_update(client, live_story, post):
    story = live_story()
    post(story, "Arrived.", headline="Arrival")
    latest = post(story, "Talks under way.", headline="Talks begin")
    ended = live_story("Yesterday's summit")
    post(ended, "Over.", headline="All done")
    ended.ended_at = timezone.now() - timedelta(hours=1)
    ended.save()
    html = page_of(client, "/")
    assert "Talks begin" in html and f'href="/articles/{story.article.slug}/#update-{latest.pk}"' in html
    assert "All done" not in html
    assert "Arrival" not in html


def test_the_front_page_costs_one_query_for_live_stories_however_many(client, live_story, post):
    for n in range(3):
        story = live_story(f"Live story {n}")
        for m in range(4):
            post(story, f"Update {m}.")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len(queries) == 5  # the front page's four, and the live stories with their latest update
    # Read from the live stories themselves, their articles by key: joined to the articles table,
    # SQLite drove the query from the archive's index, 80 ms a front page at 100,000 stories.
    [live_query] = [query["sql"] for query in queries if 'FROM "live_livestory"' in query["sql"]]
    assert 'JOIN "articles_article"' not in live_query


def test_the_front_page_lists_the_newest_open_live_stories_first_and_no_more_than_three(client, live_story):
    now = timezone.now()
    for n in (3, 0, 4, 1, 2):
        live_story(f"Live story {n}", published_at=now - timedelta(hours=n))
    live_story("Not yet out", published_at=now + timedelta(hours=1))
    tree = fromstring(page_of(client, "/"))
    shown = [link.text_content() for link in tree.xpath('//a[@class="front-live__headline"]')]
    assert shown == ["Live story 0", "Live story 1", "Live story 2"]


def test_an_update_shows_a_picture_from_the_library(client, live_story, post, make_photo):
    photo = make_photo(color=(40, 80, 120))
    story = live_story()
    post(story, f"The two delegations.\n\n![The delegations at the table](photo:{photo.pk})")
    html = page_of(client, story.article.get_absolute_url())
    stream = html[html.index('id="live"') :]
    assert "<picture>" in stream and 'alt="The delegations at the table"' in stream


def test_the_schema_org_check_catches_what_a_validator_would():
    assert schema_org.problems({"@type": "LiveBlogPosting", "coverageStartTime": "2026-12-06"}) == []
    assert schema_org.problems({"@type": "BlogPosting", "coverageStartTime": "2026-12-06"}) == [
        "$.coverageStartTime: not a property of BlogPosting"
    ]
    assert schema_org.problems({"@type": "LiveBlogPost"}) == ["$: unknown type LiveBlogPost"]
    assert schema_org.problems({"@type": "NewsArticle", "author": [{"@type": "Person", "nmae": "x"}]}) == [
        "$.author[0].nmae: not a schema.org property"
    ]
