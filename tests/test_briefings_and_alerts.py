"""The daily briefing, the digests and breaking-news alerts, in-process: what goes in, in which
order, when it goes out by itself, and that nothing goes twice or goes unpublished. Sending runs the
worker's task in this process with the memory backend (the real worker and SMTP server are in
tests/test_newsletter_delivery.py)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.models import Status
from distribution import alerts, briefings, clock, lists
from distribution.models import (
    BreakingAlert,
    Briefing,
    BriefingItem,
    Delivery,
    Mailing,
    Subscriber,
    Subscription,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from distribution.models.newsletters import BriefingStatus, DeliveryStatus, MailingKind, MailingStatus
from distribution.sending import RateLimit, send_mailing, start_mailing

DESK = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def subscribe(*addresses, list_key=lists.BRIEFING, confirmed=True):
    for address in addresses:
        subscriber, _ = Subscriber.objects.get_or_create(email=address)
        Subscription.objects.create(
            subscriber=subscriber, list_key=list_key, confirmed_at=timezone.now() if confirmed else None
        )


def run_queued_sends():
    """What the worker would do: each queued send, in this process."""
    for mailing in Mailing.objects.filter(status=MailingStatus.QUEUED):
        send_mailing.call(mailing.pk)


def sent_to(subject_start=""):
    return sorted(m.to[0] for m in mail.outbox if m.subject.startswith(subject_start))


@pytest.fixture
def desk_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.NEWSROOM_BRIEFING_TIME = time(7, 0)
    return settings


def test_a_briefing_is_assembled_from_the_days_public_stories_featured_first_then_newest(
    make_article, desk_time
):
    with time_machine.travel(datetime(2026, 12, 6, 6, 0, tzinfo=DESK), tick=False):
        now = timezone.now()
        old = make_article("Yesterday's news", published_at=now - timedelta(hours=30))
        older = make_article("Overnight talks", published_at=now - timedelta(hours=8))
        newer = make_article("Morning statement", published_at=now - timedelta(hours=1))
        lead = make_article("The big one", published_at=now - timedelta(hours=5), featured=True)
        make_article("Still a draft", status=Status.DRAFT, published_at=None)
        make_article("Scheduled for noon", published_at=now + timedelta(hours=6))
        briefing = briefings.briefing_for(timezone.localdate())
    assert briefing.send_at == datetime(2026, 12, 6, 7, 0, tzinfo=DESK)
    assert [item.article for item in briefing.items.all()] == [lead, newer, older]
    assert old not in [item.article for item in briefing.items.all()]


def test_the_editors_order_stays_and_new_stories_are_added_after_it(make_article, desk_time):
    with time_machine.travel(datetime(2026, 12, 6, 6, 0, tzinfo=DESK), tick=False):
        first = make_article("First")
        second = make_article("Second")
        briefing = briefings.briefing_for(timezone.localdate())
        BriefingItem.objects.filter(briefing=briefing, article=first).update(position=10)
        late = make_article("Late arrival", published_at=timezone.now())
        briefings.assemble(briefing)
    assert [item.article for item in briefing.items.all()] == [second, first, late]


def test_the_briefing_goes_at_its_time_in_the_desks_zone_once(make_article, desk_time):
    subscribe("a@readers.example", "b@readers.example")
    subscribe("unconfirmed@readers.example", confirmed=False)
    with time_machine.travel(datetime(2026, 12, 6, 6, 59, tzinfo=DESK), tick=False):
        make_article("Envoy lands in Beijing")
        assert briefings.send_due() == []
        assert not Briefing.objects.exists()
    with time_machine.travel(datetime(2026, 12, 6, 7, 0, 30, tzinfo=DESK), tick=False):
        assert len(briefings.send_due()) == 1
        assert briefings.send_due() == []  # the clock ticking again sends nothing more
        run_queued_sends()
    assert sent_to("The briefing: Sunday 6 December 2026") == ["a@readers.example", "b@readers.example"]
    assert "Envoy lands in Beijing" in mail.outbox[0].body
    assert Briefing.objects.get().status == BriefingStatus.SENT


def test_a_held_briefing_does_not_go_by_itself_and_an_editor_can_still_send_it(
    make_article, desk_time, editor
):
    subscribe("a@readers.example")
    with time_machine.travel(datetime(2026, 12, 6, 6, 0, tzinfo=DESK), tick=False):
        make_article("Envoy lands in Beijing")
        briefing = briefings.briefing_for(timezone.localdate())
        Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.HELD)
    with time_machine.travel(datetime(2026, 12, 6, 9, 0, tzinfo=DESK), tick=False):
        assert briefings.send_due() == []
        assert briefings.send(briefing, by=editor) is True
        assert briefings.send(briefing, by=editor) is False  # never twice
        run_queued_sends()
    assert sent_to() == ["a@readers.example"]


def test_a_briefing_left_unsent_too_long_waits_for_an_editor(make_article, desk_time):
    subscribe("a@readers.example")
    with time_machine.travel(datetime(2026, 12, 6, 6, 0, tzinfo=DESK), tick=False):
        briefings.briefing_for(timezone.localdate())
    with time_machine.travel(datetime(2026, 12, 6, 13, 30, tzinfo=DESK), tick=False):
        assert briefings.send_due() == []
    assert Mailing.objects.count() == 0


def test_a_story_taken_down_after_it_was_chosen_is_left_out(make_article, desk_time, editor):
    subscribe("a@readers.example")
    kept = make_article("Kept story")
    pulled = make_article("Pulled for legal reasons")
    briefing = Briefing.objects.create(date=timezone.localdate(), send_at=timezone.now())
    BriefingItem.objects.create(briefing=briefing, article=pulled, position=1)
    BriefingItem.objects.create(briefing=briefing, article=kept, position=2)
    publishing.unpublish(pulled, by=editor)
    briefings.send(briefing)
    run_queued_sends()
    body = mail.outbox[0].body
    html = mail.outbox[0].alternatives[0][0]
    assert "Kept story" in body and "Kept story" in html
    assert "Pulled for legal reasons" not in body and "Pulled for legal reasons" not in html


def test_section_and_topic_digests_go_with_the_briefing_only_when_there_is_something(make_article, desk_time):
    subscribe("world@readers.example", list_key="section:world")
    subscribe("europe@readers.example", list_key="section:europe")
    subscribe("china@readers.example", list_key="topic:china")
    with time_machine.travel(datetime(2026, 12, 6, 6, 0, tzinfo=DESK), tick=False):
        make_article("Envoy lands in Beijing", section="World", tags=("china",))
        make_article(
            "Quiet day in Brussels", section="Europe", published_at=timezone.now() - timedelta(days=3)
        )
    with time_machine.travel(datetime(2026, 12, 6, 7, 1, tzinfo=DESK), tick=False):
        briefings.send_due()
        run_queued_sends()
    digests = {m.list_key: m for m in Mailing.objects.filter(kind=MailingKind.DIGEST)}
    assert sorted(digests) == ["section:world", "topic:china"]
    assert sent_to(digests["section:world"].subject) == ["world@readers.example"]
    assert sent_to(digests["topic:china"].subject) == ["china@readers.example"]
    assert "europe@readers.example" not in sent_to()
    assert {m.kind for m in Mailing.objects.all()} == {MailingKind.BRIEFING, MailingKind.DIGEST}


def test_an_alert_goes_when_the_story_is_published_to_alert_subscribers_once(
    make_article, editor, django_capture_on_commit_callbacks
):
    subscribe("alerts@readers.example", list_key=lists.ALERTS)
    subscribe("briefing@readers.example")
    story = make_article("Summit collapses", status=Status.DRAFT, published_at=None)
    BreakingAlert.objects.create(article=story, requested_by=editor)
    assert alerts.send_if_due(story.pk) is None  # not public yet
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(story, by=editor)
    assert Mailing.objects.filter(kind=MailingKind.ALERT, article=story).exists()
    run_queued_sends()
    assert alerts.send_if_due(story.pk) is None  # once
    run_queued_sends()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["alerts@readers.example"], "Breaking: Summit collapses")
    ]
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_alert_whose_story_comes_down_before_it_goes_is_cancelled(make_article, editor):
    subscribe("alerts@readers.example", list_key=lists.ALERTS)
    story = make_article("Summit collapses")
    BreakingAlert.objects.create(article=story, subject="Breaking: talks end", requested_by=editor)
    mailing = alerts.send_if_due(story.pk)
    publishing.unpublish(story, by=editor)
    send_mailing.call(mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.CANCELLED and "no longer public" in mailing.note
    assert mail.outbox == []


def test_someone_who_unsubscribes_during_a_send_is_skipped(settings):
    subscribe("stays@readers.example", "leaves@readers.example")
    mailing = start_mailing(
        kind=MailingKind.BRIEFING, list_key=lists.BRIEFING, subject="Hello", html="<p>x</p>", text="x"
    )
    from distribution.sending import _write_down_recipients

    _write_down_recipients(mailing)
    Subscription.objects.filter(subscriber__email="leaves@readers.example").delete()
    send_mailing.call(mailing.pk)
    assert sent_to() == ["stays@readers.example"]
    skipped = Delivery.objects.get(subscriber__email="leaves@readers.example")
    assert skipped.status == DeliveryStatus.SKIPPED


def test_a_mailing_whose_sender_went_quiet_is_picked_up_once(settings):
    settings.NEWSROOM_MAILING_STALL = 60
    subscribe("a@readers.example")
    mailing = Mailing.objects.create(
        kind=MailingKind.BRIEFING,
        list_key=lists.BRIEFING,
        subject="Hello",
        html="<p>x</p>",
        text="x",
        status=MailingStatus.SENDING,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    fresh = Mailing.objects.create(
        kind=MailingKind.DIGEST,
        list_key="section:world",
        subject="Fresh",
        html="x",
        text="x",
        status=MailingStatus.SENDING,
        heartbeat_at=timezone.now(),
    )
    assert clock.resume_stalled() == [mailing.pk]
    assert clock.resume_stalled() == []  # queued once: the heartbeat moved on
    later = timezone.now() + timedelta(minutes=5)
    assert clock.resume_stalled(now=later) == [fresh.pk]  # the first one's run is still waiting
    queued = DBTaskResult.objects.filter(task_path="distribution.sending.send_mailing", status="READY")
    assert sorted(r.args_kwargs["args"][0] for r in queued) == sorted([mailing.pk, fresh.pk])


def test_the_clock_queues_one_next_tick():
    clock.start()
    clock.start()
    ticks = DBTaskResult.objects.filter(task_path="distribution.clock.tick", status="READY")
    assert ticks.count() == 1


def test_the_rate_limit_spaces_messages_out():
    import time as clock_time

    limit = RateLimit(50)
    started = clock_time.monotonic()
    for _ in range(11):
        limit.wait()
    assert clock_time.monotonic() - started >= 0.19  # ten gaps of 1/50 s


def test_stories_released_together_get_their_alert_and_webhooks_for_a_fixed_number_of_lookups(
    make_article, editor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """An import or the clock announces many stories at once: the alert and webhook receivers look
    up what waits for them once per batch, not once per story (a million-story import paid two
    queries and two commits a story for it), and still act on each story that needs it."""
    subscribe("alerts@readers.example", list_key=lists.ALERTS)
    WebhookEndpoint.objects.create(
        name="Wire partner", url="https://partner.example.org/hooks", events=[WebhookEvent.PUBLISHED]
    )
    soon = timezone.now() + timedelta(minutes=5)
    stories = [make_article(f"Story {n}", published_at=soon) for n in range(40)]
    BreakingAlert.objects.create(article=stories[7], requested_by=editor)
    with time_machine.travel(soon + timedelta(seconds=1)), django_capture_on_commit_callbacks(execute=True):
        assert len(publishing.release_due()) == 40
    [mailing] = Mailing.objects.filter(kind=MailingKind.ALERT)
    assert mailing.article == stories[7]
    assert WebhookDelivery.objects.filter(event=WebhookEvent.PUBLISHED).count() == 40

    # The same with nothing waiting for them: the receivers' lookups do not grow with the stories.
    WebhookEndpoint.objects.all().delete()
    later = soon + timedelta(hours=1)
    for n in range(40):
        make_article(f"Later story {n}", published_at=later)
    with (
        time_machine.travel(later + timedelta(seconds=1)),
        # (Two of them read the stories' topics and authors, whose lists retire: articles/retiring.py.)
        django_assert_max_num_queries(14),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert len(publishing.release_due()) == 40
