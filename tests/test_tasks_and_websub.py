"""Background tasks and WebSub: publishing queues a ping that a real worker (``manage.py db_worker``,
a subprocess on the test's database) sends to a real hub (an HTTP server of the test's own); the
editor's request never waits for the hub, and a failing hub is tried again with growing delays."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import feedparser
import pytest
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.models import Article, Status
from distribution.tasks import AttemptFailed
from distribution.websub import ping_hub
from tests.conftest import free_port
from tests.workers import RETRY_DELAY, wait_until

CHANGELIST = "/admin/articles/article/"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


class Hub:
    """A WebSub hub on 127.0.0.1 that records each publish ping and answers with the next of
    ``statuses`` (then 204)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.pings = []  # (monotonic time, hub.mode, hub.url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hub"
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                hub.pings.append((time.monotonic(), form["hub.mode"][0], form["hub.url"][0]))
                self.send_response(hub.statuses.pop(0) if hub.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def story(make_article):
    return make_article(
        "Envoy lands in Beijing",
        section="World",
        authors=("Ana Ruiz",),
        tags=("china",),
        status=Status.DRAFT,
        published_at=None,
    )


def feed_urls(section="world", tag="china", author="ana-ruiz"):
    paths = ["/feeds/latest/", f"/feeds/sections/{section}/", f"/feeds/tags/{tag}/"]
    paths.append(f"/feeds/authors/{author}/")
    return {f"http://testserver{path}{atom}" for path in paths for atom in ("", "atom/")}


def publish_in_admin(client, editor, article):
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "publish_now", "_selected_action": [article.pk]})
    assert response.status_code == 302
    assert Article.objects.published().filter(pk=article.pk).exists()


def pings():
    return DBTaskResult.objects.filter(task_path="distribution.websub.ping_hub").order_by("enqueued_at")


def test_publishing_makes_the_worker_ping_the_hub_for_every_feed_of_the_story(
    client, editor, story, settings, start_worker
):
    with Hub() as hub:
        settings.NEWSROOM_WEBSUB_HUB = hub.url
        publish_in_admin(client, editor, story)
        # The editor's request queued the ping and returned: the hub has heard nothing yet.
        assert hub.pings == []
        assert [result.status for result in pings()] == ["READY"]

        start_worker()
        wait_until(lambda: len(hub.pings) == len(feed_urls()))
        assert {(mode, url) for _, mode, url in hub.pings} == {("publish", url) for url in feed_urls()}
        wait_until(lambda: pings().get().status == "SUCCESSFUL")


def test_a_publish_succeeds_with_the_hub_down_and_the_ping_waits_for_a_retry(
    client, editor, story, settings, start_worker
):
    settings.NEWSROOM_WEBSUB_HUB = f"http://127.0.0.1:{free_port()}/hub"  # nothing listens there
    publish_in_admin(client, editor, story)
    start_worker()
    wait_until(lambda: pings().filter(status="FAILED").exists())
    failed, retry = pings()
    assert "could not be reached" in failed.traceback
    assert retry.status == "READY" and retry.args_kwargs["kwargs"]["attempt"] == 2


def test_a_failing_hub_is_tried_again_later_each_time_and_the_errors_show_in_the_admin(
    client, admin_client, editor, story, settings, start_worker
):
    with Hub(statuses=[500, 500]) as hub:
        settings.NEWSROOM_WEBSUB_HUB = hub.url
        publish_in_admin(client, editor, story)
        start_worker()
        wait_until(lambda: pings().filter(status="SUCCESSFUL").exists())

    first, second, third = pings()
    assert [first.status, second.status, third.status] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in (first, second, third)] == [1, 2, 3]
    # Each retry waits twice as long as the one before.
    assert (second.run_after - second.enqueued_at).total_seconds() == pytest.approx(RETRY_DELAY, abs=0.2)
    assert (third.run_after - third.enqueued_at).total_seconds() == pytest.approx(2 * RETRY_DELAY, abs=0.2)
    times = [at for at, _, _ in hub.pings]
    assert times[1] - times[0] >= RETRY_DELAY
    assert times[2] - times[1] >= 2 * RETRY_DELAY
    assert {url for _, _, url in hub.pings[2:]} == feed_urls()

    page = admin_client.get(f"/admin/django_tasks_database/dbtaskresult/{second.pk}/change/").content.decode()
    assert "attempt 2 of" in page
    assert f"the hub {hub.url} answered 500" in page


def test_without_a_hub_the_feeds_name_none_and_nothing_is_queued(client, editor, story, settings):
    settings.NEWSROOM_WEBSUB_HUB = None
    publish_in_admin(client, editor, story)
    assert not DBTaskResult.objects.exists()
    for url in feed_urls():
        feed = feedparser.parse(client.get(url.removeprefix("http://testserver")).content)
        assert feed.feed.title and not [link for link in feed.feed.links if link.rel == "hub"]


def test_every_feed_names_the_hub_and_itself_when_a_hub_is_set(client, editor, story, settings):
    settings.NEWSROOM_WEBSUB_HUB = "https://hub.example.org/"
    publishing.publish(story, by=editor)
    for url in feed_urls():
        feed = feedparser.parse(client.get(url.removeprefix("http://testserver")).content)
        links = {link.rel: link.href for link in feed.feed.links}
        assert links["hub"] == "https://hub.example.org/"
        assert links["self"] == url


def queued_urls():
    return [set(result.args_kwargs["args"][0]) for result in pings()]


def test_a_change_a_takedown_and_a_deletion_each_queue_a_ping(editor, story, settings):
    settings.NEWSROOM_WEBSUB_HUB = "https://hub.example.org/"
    publishing.publish(story, by=editor)
    publishing.rename(story, "envoy-in-beijing", by=editor)
    publishing.unpublish(story, by=editor)
    assert queued_urls() == [feed_urls()] * 3
    publishing.publish(story, by=editor)
    publishing.delete(story, by=editor)
    latest_and_section = feed_urls() - {url for url in feed_urls() if "/tags/" in url or "/authors/" in url}
    assert queued_urls() == [feed_urls()] * 4 + [latest_and_section]


def test_the_last_attempt_gives_up_without_queueing_another(settings):
    settings.NEWSROOM_WEBSUB_HUB = f"http://127.0.0.1:{free_port()}/hub"  # nothing listens there
    settings.NEWSROOM_TASK_ATTEMPTS = 3
    with pytest.raises(AttemptFailed, match="attempt 2 of 3 failed, trying again in 60 s"):
        ping_hub.call(["http://testserver/feeds/latest/"], attempt=2)
    with pytest.raises(AttemptFailed, match="attempt 3 of 3 failed, giving up: the hub .* could not be"):
        ping_hub.call(["http://testserver/feeds/latest/"], attempt=3)
    assert [result.args_kwargs["kwargs"]["attempt"] for result in pings()] == [3]


def test_a_live_storys_feeds_name_the_hub(client, make_article, settings):
    from live.models import LiveStory

    settings.NEWSROOM_WEBSUB_HUB = "https://hub.example.org/"
    story = LiveStory.objects.create(article=make_article("Summit, live"))
    for path in (f"/feeds/live/{story.article.slug}/", f"/feeds/live/{story.article.slug}/atom/"):
        links = {link.rel: link.href for link in feedparser.parse(client.get(path).content).feed.links}
        assert links["hub"] == "https://hub.example.org/"
        assert links["self"] == f"http://testserver{path}"


def test_a_published_live_update_pings_the_hub_for_the_live_feeds_and_a_draft_does_not(
    make_article, settings
):
    from live.models import LiveStory, LiveUpdate, UpdateStatus

    settings.NEWSROOM_WEBSUB_HUB = "https://hub.example.org/"
    story = LiveStory.objects.create(article=make_article("Summit, live"))
    before = pings().count()
    LiveUpdate.objects.create(story=story, body="Still talking.", status=UpdateStatus.DRAFT)
    assert pings().count() == before  # no reader sees a draft: no feed changed
    LiveUpdate.objects.create(story=story, body="Leaders emerge.", status=UpdateStatus.PUBLISHED)
    slug = story.article.slug
    assert pings().last().args_kwargs["args"][0] == [
        f"http://testserver/feeds/live/{slug}/",
        f"http://testserver/feeds/live/{slug}/atom/",
    ]
