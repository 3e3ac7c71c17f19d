"""Publishing has one owner (articles.publishing): whichever way a story goes out, readers, search,
the audit trail, the page cache and the apps listening to Newsroom's signals see the same thing."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import publishing
from articles.exporting import JSON_FILE_NAME, export_articles
from articles.importing import import_paths
from articles.models import Article, PublicationEvent, State, Status, state_of
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
CHANGELIST = "/admin/articles/article/"
SIGNALS = {
    "published": publishing.story_published,
    "changed": publishing.story_changed,
    "unpublished": publishing.story_unpublished,
}


@pytest.fixture
def announcements():
    """Every announcement sent while the test runs, as (what, headline, by, details)."""
    heard = []

    def listener(what):
        def receive(sender, article, by, signal, **details):
            heard.append((what, article.headline, by, details))

        return receive

    receivers = {name: listener(name) for name in SIGNALS}
    for name, signal in SIGNALS.items():
        signal.connect(receivers[name])
    yield heard
    for name, signal in SIGNALS.items():
        signal.disconnect(receivers[name])


# The visibility rule: the Python and the SQL forms agree on every state at every time.

NOW = timezone.now().replace(microsecond=0)
TIMES = {
    "none": None,
    "an hour ago": NOW - timedelta(hours=1),
    "this very moment": NOW,
    "a microsecond ahead": NOW + timedelta(microseconds=1),
    "tomorrow": NOW + timedelta(days=1),
}
EXPECTED = {
    (Status.DRAFT, "none"): State.DRAFT,
    (Status.REVIEW, "none"): State.REVIEW,
    (Status.PUBLISHED, "an hour ago"): State.PUBLISHED,
    (Status.PUBLISHED, "this very moment"): State.PUBLISHED,
    (Status.PUBLISHED, "a microsecond ahead"): State.SCHEDULED,
    (Status.PUBLISHED, "tomorrow"): State.SCHEDULED,
    # A draft or a story in review may carry a time (a reporter's draft kept an editor's plan);
    # it is still no reader's business.
    **{(Status.DRAFT, when): State.DRAFT for when in TIMES if when != "none"},
    **{(Status.REVIEW, when): State.REVIEW for when in TIMES if when != "none"},
}


@pytest.mark.parametrize(("status", "when"), sorted(EXPECTED))
def test_python_and_queryset_agree_on_every_state_and_time(make_article, status, when):
    with time_machine.travel(NOW, tick=False):
        article = make_article(status=status, published_at=TIMES[when])
        expected = EXPECTED[(status, when)]
        assert state_of(status, TIMES[when], timezone.now()) == expected
        assert article.state == expected.label
        assert article.is_public == (expected == State.PUBLISHED)
        assert article.is_released == (expected in (State.PUBLISHED, State.SCHEDULED))
        found_in = {
            state for state in State if Article.objects.in_state(state).filter(pk=article.pk).exists()
        }
        assert found_in == {expected}
        assert Article.objects.published().filter(pk=article.pk).exists() == article.is_public
        assert Article.objects.released().filter(pk=article.pk).exists() == article.is_released
        assert Article.objects.scheduled().filter(pk=article.pk).exists() == (expected == State.SCHEDULED)


def test_a_published_story_without_a_time_cannot_be_stored(make_article):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_article(status=Status.PUBLISHED, published_at=None)


# One story, published four ways, the same afterwards.

HEADLINE = "Envoy lands in Beijing"
WORD = "quadrilateral"  # in the body only: found by search, not by the headline


def publish_through_the_change_form(client, editor, draft, tmp_path, clock):
    client.force_login(editor)
    url = CHANGE.format(draft.pk)
    data = form_data(client.get(url).content.decode(), "article_form")
    data["status"] = Status.PUBLISHED
    assert client.post(url, data).status_code == 302
    client.logout()


def publish_by_the_bulk_action(client, editor, draft, tmp_path, clock):
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "publish_now", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    client.logout()


def publish_by_importing(client, editor, draft, tmp_path, clock):
    # An operator exports the draft, marks it published and brings it back in: the import finds
    # the article it came from.
    export_articles(tmp_path, format="json")
    exported = tmp_path / JSON_FILE_NAME
    articles = json.loads(exported.read_text(encoding="utf-8"))
    for article in articles:
        article["status"] = "published"
    exported.write_text(json.dumps(articles), encoding="utf-8")
    report = import_paths([exported])
    assert not report.problems, report.problems
    assert report.updated == 1


def publish_by_the_clock(client, editor, draft, tmp_path, clock):
    publishing.publish(draft, by=editor, at=timezone.now() + timedelta(minutes=5))
    assert HEADLINE not in client.get("/articles/").content.decode()
    clock.move_to(timezone.now() + timedelta(minutes=6))
    # The first reader after the time: the page cache's version read notices the story is due.
    client.get("/")


WAYS = [
    publish_through_the_change_form,
    publish_by_the_bulk_action,
    publish_by_importing,
    publish_by_the_clock,
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
def test_every_way_of_publishing_ends_the_same(
    client, shared_cache, editor, make_article, announcements, tmp_path, time_machine, way
):
    draft = make_article(
        HEADLINE, status=Status.DRAFT, published_at=None, body=f"Talks on a {WORD} framework."
    )
    before = client.get("/articles/")
    assert HEADLINE not in before.content.decode()
    assert client.get("/articles/")["X-Cache"] == "hit"  # a page readers are served from the cache

    way(client, editor, draft, tmp_path, time_machine)

    draft.refresh_from_db()
    assert draft.is_public and draft.announced
    # The apps listening hear of it once.
    assert [(what, headline) for what, headline, _, _ in announcements] == [("published", HEADLINE)]
    # The cached list is retired: readers see the story at once.
    assert HEADLINE in client.get("/articles/").content.decode()
    # Search finds it by a word of its body.
    assert HEADLINE in client.get(f"/search/?q={WORD}").content.decode()
    # The audit trail says it was published, and by whom (the system for an import or the clock).
    event = PublicationEvent.objects.filter(article=draft).latest("at", "pk")
    assert event.action == PublicationEvent.Action.PUBLISHED
    assert event.actor == (
        editor if way in (publish_through_the_change_form, publish_by_the_bulk_action) else None
    )


# Each transition is announced once, with what changed.


@pytest.mark.django_db(transaction=True)
def test_a_public_story_changed_unpublished_and_deleted_is_announced_each_time(
    client, editor, make_article, announcements
):
    story = make_article(HEADLINE, status=Status.DRAFT, published_at=None)
    publishing.publish(story, by=editor)
    publishing.publish(story, by=editor)  # already out: nothing new to announce about going public
    publishing.rename(story, "envoy-arrives", by=editor)
    publishing.correct(story, "An earlier version misspelt the envoy's name.", by=editor)
    publishing.unpublish(story, by=editor)
    publishing.unpublish(story, by=editor)
    publishing.publish(story, by=editor)
    publishing.delete(story, by=editor)
    assert [(what, details) for what, _, _, details in announcements] == [
        ("published", {}),
        ("changed", {"changes": frozenset({"published_at"})}),
        ("changed", {"changes": frozenset({"slug"})}),
        ("changed", {"changes": frozenset({"corrections"})}),
        ("unpublished", {"deleted": False}),
        ("published", {}),
        ("unpublished", {"deleted": True}),
    ]
    assert all(by == editor for _, _, by, _ in announcements)
    assert client.get("/articles/envoy-lands-in-beijing/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_edit_in_the_change_form_is_one_announcement_with_its_inlines(
    client, editor, make_article, announcements
):
    story = make_article(HEADLINE, tags=["China"])
    publishing.release_due()
    announcements.clear()
    client.force_login(editor)
    url = CHANGE.format(story.pk)
    data = form_data(client.get(url).content.decode(), "article_form")
    data["headline"] = "Envoy lands in Beijing for trade talks"
    data["corrections-TOTAL_FORMS"] = "1"
    data["corrections-0-text"] = "An earlier version gave the wrong date."
    data["corrections-0-date_0"] = timezone.localtime().strftime("%Y-%m-%d")
    data["corrections-0-date_1"] = "09:00:00"
    assert client.post(url, data).status_code == 302
    assert [(what, details) for what, _, _, details in announcements] == [
        ("changed", {"changes": frozenset({"headline", "corrections"})})
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_publication_is_never_announced(editor, make_article, announcements):
    story = make_article(HEADLINE, status=Status.DRAFT, published_at=None)
    with transaction.atomic():
        publishing.publish(story, by=editor)
        transaction.set_rollback(True)
    assert announcements == []
    story.refresh_from_db()
    assert not story.announced and story.status == Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_does_not_undo_the_editors_work(editor, make_article, announcements, caplog):
    def broken(sender, **kwargs):
        raise ConnectionError("webhook receiver down")

    publishing.story_published.connect(broken)
    try:
        story = make_article(HEADLINE, status=Status.DRAFT, published_at=None)
        publishing.publish(story, by=editor)
    finally:
        publishing.story_published.disconnect(broken)
    story.refresh_from_db()
    assert story.is_public
    assert [what for what, *_ in announcements] == ["published"]  # the others still heard it
    assert "webhook receiver down" in caplog.text


# The clock: scheduled stories are announced when their time comes, once.


@pytest.mark.django_db(transaction=True)
def test_publish_due_announces_scheduled_stories_once(editor, make_article, announcements, capsys):
    story = make_article(HEADLINE, status=Status.DRAFT, published_at=None)
    publishing.publish(story, by=editor, at=timezone.now() + timedelta(minutes=5))
    call_command("publish_due")
    assert announcements == []
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        call_command("publish_due")
        call_command("publish_due")
    assert [(what, headline, by) for what, headline, by, _ in announcements] == [
        ("published", HEADLINE, None)
    ]
    assert "1 story went public: Envoy lands in Beijing" in capsys.readouterr().out
    actions = list(
        PublicationEvent.objects.filter(article=story).order_by("at", "pk").values_list("action", flat=True)
    )
    assert actions == [PublicationEvent.Action.SCHEDULED, PublicationEvent.Action.PUBLISHED]


@pytest.mark.django_db(transaction=True)
def test_rescheduling_a_public_story_takes_it_away_until_its_new_time(editor, make_article, announcements):
    story = make_article(HEADLINE, status=Status.DRAFT, published_at=None)
    publishing.publish(story, by=editor)
    publishing.publish(story, by=editor, at=timezone.now() + timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert [article.headline for article in publishing.release_due()] == [HEADLINE]
    assert [what for what, *_ in announcements] == ["published", "unpublished", "published"]


@pytest.mark.django_db(transaction=True)
def test_reimporting_a_changed_public_story_announces_what_changed(tmp_path, announcements):
    story = tmp_path / "envoy.md"
    front = f"---\ntitle: {HEADLINE}\nsection: World\nstatus: published\n"
    story.write_text(f"{front}dek: Talks begin.\n---\n\nBody.\n", encoding="utf-8")
    import_paths([story])
    story.write_text(f"{front}dek: Talks begin on trade.\n---\n\nBody.\n", encoding="utf-8")
    import_paths([story])
    import_paths([story])  # unchanged: nothing to announce
    assert [(what, details) for what, _, _, details in announcements] == [
        ("published", {}),
        ("changed", {"changes": frozenset({"dek", *publishing.STORY_PARTS})}),
    ]
    events = PublicationEvent.objects.filter(article__headline=HEADLINE).values_list("action", "actor")
    assert list(events) == [(PublicationEvent.Action.PUBLISHED, None)]
