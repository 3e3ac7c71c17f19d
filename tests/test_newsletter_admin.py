"""Newsletters in the editors' workspace: the daily briefing (its stories in the editors' order, a
note, a preview, send now, hold), the breaking-news alert box on a story's form, the mailings with
their send log, and subscribers (looked up, deleted on request, never added or changed)."""

import pytest
from django.core import mail
from django.utils import timezone

from articles.models import Status
from distribution import lists
from distribution.models import (
    BreakingAlert,
    Briefing,
    BriefingItem,
    Delivery,
    Mailing,
    Subscriber,
    Subscription,
)
from distribution.models.newsletters import BriefingStatus, DeliveryStatus, MailingStatus
from distribution.sending import send_mailing
from tests.formdata import form_data

pytestmark = pytest.mark.django_db

BRIEFINGS = "/admin/distribution/briefing/"


@pytest.fixture
def stories(make_article):
    return [
        make_article("Envoy lands in Beijing"),
        make_article("Ministers meet in Geneva", section="Europe"),
    ]


def add_briefing(client):
    page = client.get(f"{BRIEFINGS}add/").content.decode()
    data = form_data(page, "briefing_form")
    data["note"] = "Two meetings, one message."
    response = client.post(f"{BRIEFINGS}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Briefing.objects.get()


def test_an_editor_makes_todays_briefing_and_it_comes_with_the_days_stories(client, editor, stories):
    client.force_login(editor)
    briefing = add_briefing(client)
    assert briefing.date == timezone.localdate()
    assert sorted(item.article.headline for item in briefing.items.all()) == sorted(
        s.headline for s in stories
    )
    listing = client.get(BRIEFINGS).content.decode()
    assert str(briefing) in listing


def test_reordering_changes_the_preview_and_the_note_leads_it(client, editor, stories):
    client.force_login(editor)
    briefing = add_briefing(client)
    url = f"{BRIEFINGS}{briefing.pk}/change/"
    data = form_data(client.get(url).content.decode(), "briefing_form")
    for n in range(2):
        item = BriefingItem.objects.get(pk=data[f"items-{n}-id"])
        data[f"items-{n}-position"] = "1" if item.article == stories[1] else "2"
    assert client.post(url, data).status_code == 302
    preview = client.get(f"{BRIEFINGS}{briefing.pk}/preview/").content.decode()
    assert preview.index("Two meetings, one message.") < preview.index("Ministers meet in Geneva")
    assert preview.index("Ministers meet in Geneva") < preview.index("Envoy lands in Beijing")


def test_send_now_sends_once_and_then_the_briefing_stands_as_sent(
    client, editor, stories, django_capture_on_commit_callbacks
):
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="reader@readers.example"),
        list_key=lists.BRIEFING,
        confirmed_at=timezone.now(),
    )
    client.force_login(editor)
    briefing = add_briefing(client)
    url = f"{BRIEFINGS}{briefing.pk}/change/"
    data = form_data(client.get(url).content.decode(), "briefing_form")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "_send_now": "1"}, follow=True)
    assert "The briefing is on its way" in response.content.decode()
    assert mail.outbox == []  # the request only queued it
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.SENT
    send_mailing.call(briefing.mailing.pk)
    assert [m.to for m in mail.outbox] == [["reader@readers.example"]]
    page = client.get(url).content.decode()
    assert "_send_now" not in page and "See the email as it went out" in page
    mailing_page = client.get(f"/admin/distribution/mailing/{briefing.mailing.pk}/change/").content.decode()
    assert "1 / 0 / 0 / 0" in mailing_page  # sent / failed / skipped / waiting


def test_a_held_briefing_is_held(client, editor, stories):
    client.force_login(editor)
    briefing = add_briefing(client)
    url = f"{BRIEFINGS}{briefing.pk}/change/"
    data = form_data(client.get(url).content.decode(), "briefing_form")
    data["status"] = BriefingStatus.HELD
    assert client.post(url, data).status_code == 302
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.HELD


def test_reporters_have_no_newsletter_tools(client, reporter, make_article):
    client.force_login(reporter)
    assert client.get(BRIEFINGS).status_code == 403
    assert client.get("/admin/distribution/subscriber/").status_code == 403
    article = make_article("Summit collapses", status=Status.DRAFT, published_at=None)
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "breaking-news alert" not in page.lower()


def test_an_editor_marks_a_story_as_an_alert_from_its_form(client, editor, make_article):
    article = make_article("Summit collapses", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    url = f"/admin/articles/article/{article.pk}/change/"
    page = client.get(url).content.decode()
    assert "Send as a breaking-news alert" in page
    data = form_data(page, "article_form")
    data.update({"breaking_alert-TOTAL_FORMS": "1", "breaking_alert-0-send": "on", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    alert = BreakingAlert.objects.get(article=article)
    assert alert.requested_by == editor and alert.mailing is None
    page = client.get(url).content.decode()
    assert "Goes out when the story is published." in page


def test_mailings_and_their_send_log_are_read_only(client, editor):
    mailing = Mailing.objects.create(
        kind="briefing",
        list_key=lists.BRIEFING,
        subject="Hello",
        html="x",
        text="x",
        status=MailingStatus.SENDING,
    )
    subscriber = Subscriber.objects.create(email="reader@readers.example")
    Delivery.objects.create(
        mailing=mailing,
        subscriber=subscriber,
        status=DeliveryStatus.FAILED,
        error="Refused by the mail server: 550 No such mailbox",
    )
    client.force_login(editor)
    log = client.get(f"/admin/distribution/delivery/?mailing__id__exact={mailing.pk}").content.decode()
    assert "reader@readers.example" in log and "550 No such mailbox" in log
    assert client.get("/admin/distribution/mailing/add/").status_code == 403
    response = client.post(
        "/admin/distribution/mailing/", {"action": "cancel", "_selected_action": [mailing.pk]}
    )
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.CANCELLED


def test_a_subscriber_can_be_found_and_deleted_on_request_but_not_added(client, editor):
    subscriber = Subscriber.objects.create(email="reader@readers.example")
    Subscription.objects.create(subscriber=subscriber, list_key=lists.ALERTS, confirmed_at=timezone.now())
    client.force_login(editor)
    assert "reader@readers.example" in client.get("/admin/distribution/subscriber/?q=reader").content.decode()
    assert client.get("/admin/distribution/subscriber/add/").status_code == 403
    response = client.post(f"/admin/distribution/subscriber/{subscriber.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
