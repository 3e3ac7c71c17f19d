"""Roles and states, enforced on the server: what reporters and editors can do to an article."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from articles import publishing
from articles.models import Article, PublicationEvent, Status, WorkflowError
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
CHANGELIST = "/admin/articles/article/"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def open_form(client, article=None):
    """GET the add or change page and return what its form would submit."""
    url = CHANGE.format(article.pk) if article else "/admin/articles/article/add/"
    response = client.get(url)
    assert response.status_code == 200
    return url, form_data(response.content.decode(), "article_form")


def errors(response):
    return response.context["adminform"].form.non_field_errors() if response.context else []


def new_draft_data(client, section, **values):
    url, data = open_form(client)
    data.update(
        {"headline": "Envoy lands in Beijing", "slug": "envoy-lands", "body": "Text.", "section": section.pk}
    )
    data.update(values)
    return url, data


# Roles exist on a fresh database.


def test_migration_creates_reporter_and_editor_groups(db):
    reporter = set(Group.objects.get(name="Reporter").permissions.values_list("codename", flat=True))
    editor = set(Group.objects.get(name="Editor").permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "view_article", "add_taggedarticle"} <= reporter
    assert "publish_article" not in reporter
    assert "add_correction" not in reporter
    assert {"publish_article", "add_correction", "delete_article", "change_section"} <= editor


# Reporters: drafts and review only.


def test_reporter_writes_a_draft_and_sends_it_to_review(as_user, reporter, make_section):
    client = as_user(reporter)
    url, data = new_draft_data(client, make_section("Diplomacy"))
    assert client.post(url, data).status_code == 302
    article = Article.objects.get(slug="envoy-lands")
    assert article.status == Status.DRAFT and article.created_by == reporter

    url, data = open_form(client, article)
    data["status"] = Status.REVIEW
    assert client.post(url, data).status_code == 302
    article.refresh_from_db()
    assert article.status == Status.REVIEW
    assert PublicationEvent.objects.get(article=article).action == PublicationEvent.Action.SUBMITTED


def test_reporter_form_offers_no_publish_choice(as_user, reporter, make_section):
    page = as_user(reporter).get("/admin/articles/article/add/").content.decode()
    assert 'name="_action" value="review"' in page and 'name="_action" value="draft"' in page
    for editors_only in ("publish", "schedule", "unpublish"):
        assert f'name="_action" value="{editors_only}"' not in page


@pytest.mark.parametrize(
    "forged, message",
    [
        ({"status": Status.PUBLISHED}, "Only an editor can publish or schedule an article."),
        ({"published_at_0": "2030-01-01", "published_at_1": "09:00:00"}, "Only an editor can change"),
        ({"featured": "on"}, "Only an editor can change"),
    ],
)
def test_reporters_crafted_post_on_a_new_article_is_refused(as_user, reporter, make_section, forged, message):
    client = as_user(reporter)
    url, data = new_draft_data(client, make_section("Diplomacy"), **forged)
    response = client.post(url, data)
    assert response.status_code == 200
    assert any(message in error for error in errors(response))
    assert not Article.objects.exists()


def test_reporters_crafted_publish_of_their_draft_is_refused_and_nothing_changes(
    as_user, reporter, make_article
):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client = as_user(reporter)
    url, data = open_form(client, draft)
    data.update(status=Status.PUBLISHED, headline="Changed headline")
    response = client.post(url, data)
    assert "Only an editor can publish or schedule an article." in str(errors(response))
    draft.refresh_from_db()
    assert (draft.status, draft.headline, draft.published_at) == (Status.DRAFT, "Envoy lands", None)
    assert not PublicationEvent.objects.exists()


def test_reporter_cannot_change_a_published_article(as_user, reporter, make_article):
    live = make_article("Envoy lands")
    client = as_user(reporter)
    page = client.get(CHANGE.format(live.pk)).content.decode()
    assert 'name="_save"' not in page  # a read-only view
    before = live.published_at
    forged = {"headline": "Forged", "status": Status.DRAFT, "published_at_0": "2031-01-01"}
    assert client.post(CHANGE.format(live.pk), forged).status_code == 403
    live.refresh_from_db()
    assert (live.headline, live.status, live.published_at) == ("Envoy lands", Status.PUBLISHED, before)


def test_reporter_cannot_move_a_scheduled_article(as_user, reporter, make_article):
    scheduled = make_article("Embargoed", published_at=timezone.now() + timedelta(days=1))
    response = as_user(reporter).post(CHANGE.format(scheduled.pk), {"published_at_0": "2020-01-01"})
    assert response.status_code == 403
    scheduled.refresh_from_db()
    assert scheduled.published_at > timezone.now()


def test_reporter_cannot_delete_a_published_article(as_user, reporter, make_article):
    live = make_article("Envoy lands")
    client = as_user(reporter)
    assert client.post(f"/admin/articles/article/{live.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [live.pk], "post": "yes"}, follow=True
    )
    assert "Only an editor can delete a published or scheduled article" in response.content.decode()
    assert Article.objects.filter(pk=live.pk).exists()


def test_reporter_can_delete_a_draft(as_user, reporter, make_article):
    draft = make_article("Abandoned", status=Status.DRAFT, published_at=None)
    client = as_user(reporter)
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"})
    assert not Article.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("action", ["publish_now", "unpublish", "schedule"])
def test_reporter_has_no_publishing_actions_even_by_forged_post(as_user, reporter, make_article, action):
    draft = make_article("Envoy lands", status=Status.REVIEW, published_at=None)
    client = as_user(reporter)
    assert f'value="{action}"' not in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [draft.pk], "apply": "1", "publish_at_0": "2030-01-01",
         "publish_at_1": "09:00"},
    )  # fmt: skip
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW and draft.published_at is None


def test_model_methods_refuse_a_reporter(reporter, make_article):
    draft = make_article("Envoy lands", status=Status.REVIEW, published_at=None)
    with pytest.raises(WorkflowError, match="Only an editor"):
        publishing.publish(draft, by=reporter)
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW


# Editors: every transition.


def test_editor_publishes_with_the_action(as_user, editor, make_article, client):
    article = make_article("Envoy lands", status=Status.REVIEW, published_at=None)
    response = as_user(editor).post(
        CHANGELIST, {"action": "publish_now", "_selected_action": [article.pk]}, follow=True
    )
    assert "1 article published." in response.content.decode()
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.is_public
    event = PublicationEvent.objects.get(article=article)
    assert (event.action, event.actor) == (PublicationEvent.Action.PUBLISHED, editor)
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_editor_schedules_and_it_goes_live_by_itself(as_user, editor, make_article, time_machine):
    article = make_article("Embargoed", status=Status.REVIEW, published_at=None)
    client = as_user(editor)
    page = client.post(CHANGELIST, {"action": "schedule", "_selected_action": [article.pk]}).content.decode()
    assert "Publish at" in page  # the intermediate page asks when
    when = timezone.now() + timedelta(hours=3)
    response = client.post(
        CHANGELIST,
        {"action": "schedule", "_selected_action": [article.pk], "apply": "1",
         "publish_at_0": when.strftime("%Y-%m-%d"), "publish_at_1": when.strftime("%H:%M:%S")},
        follow=True,
    )  # fmt: skip
    assert "1 article scheduled for" in response.content.decode()
    article.refresh_from_db()
    assert article.state == "Scheduled" and not article.is_public
    assert PublicationEvent.objects.get(article=article).action == PublicationEvent.Action.SCHEDULED
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    time_machine.move_to(when + timedelta(seconds=5))
    assert client.get(article.get_absolute_url()).status_code == 200


def test_schedule_in_the_past_is_refused(as_user, editor, make_article):
    article = make_article("Embargoed", status=Status.REVIEW, published_at=None)
    page = as_user(editor).post(
        CHANGELIST,
        {"action": "schedule", "_selected_action": [article.pk], "apply": "1",
         "publish_at_0": "2020-01-01", "publish_at_1": "09:00:00"},
    ).content.decode()  # fmt: skip
    assert "Choose a time in the future" in page
    article.refresh_from_db()
    assert article.status == Status.REVIEW


def test_editor_unpublishes_and_the_story_is_gone_at_once(as_user, editor, make_article, client):
    article = make_article("Envoy lands", tags=["China"])
    as_user(editor).post(CHANGELIST, {"action": "unpublish", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.status == Status.DRAFT and article.published_at is None
    assert PublicationEvent.objects.get(article=article).action == PublicationEvent.Action.UNPUBLISHED
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    for url in ("/", "/articles/", "/tags/china/", "/sections/world/"):
        assert "Envoy lands" not in client.get(url).content.decode()


def test_editor_publishes_from_the_form_and_an_empty_time_means_now(as_user, editor, make_article):
    article = make_article("Envoy lands", status=Status.REVIEW, published_at=None)
    client = as_user(editor)
    url, data = open_form(client, article)
    data.update(status=Status.PUBLISHED, published_at_0="", published_at_1="")
    assert client.post(url, data).status_code == 302
    article.refresh_from_db()
    assert article.is_public
    assert PublicationEvent.objects.get(article=article).actor == editor


def test_send_to_review_only_moves_drafts(as_user, reporter, make_article):
    draft = make_article("Draft", status=Status.DRAFT, published_at=None)
    live = make_article("Live")
    response = as_user(reporter).post(
        CHANGELIST, {"action": "send_to_review", "_selected_action": [draft.pk, live.pk]}, follow=True
    )
    page = response.content.decode()
    assert "1 article sent to review." in page and "is not a draft" in page
    draft.refresh_from_db(), live.refresh_from_db()
    assert (draft.status, live.status) == (Status.REVIEW, Status.PUBLISHED)


@pytest.mark.parametrize(
    "state, expected",
    [("draft", "A draft"), ("review", "In review copy"), ("scheduled", "Embargoed"), ("live", "Live story")],
)
def test_changelist_filters_each_state(as_user, editor, make_article, state, expected):
    make_article("A draft", status=Status.DRAFT, published_at=None)
    make_article("In review copy", status=Status.REVIEW, published_at=None)
    make_article("Embargoed", published_at=timezone.now() + timedelta(days=1))
    make_article("Live story")
    page = as_user(editor).get(f"{CHANGELIST}?state={state}").content.decode()
    shown = {h for h in ("A draft", "In review copy", "Embargoed", "Live story") if f">{h}</a>" in page}
    assert shown == {expected}


@time_machine.travel(datetime(2026, 3, 10, 11, 0, tzinfo=UTC), tick=False)
def test_admin_index_shows_the_editors_day(as_user, editor, make_article):
    make_article("Waiting for review", status=Status.REVIEW, published_at=None)
    at = timezone.now() + timedelta(hours=5)
    make_article("Embargoed communique", published_at=at)
    make_article("Went out this morning")
    make_article("My own draft", status=Status.DRAFT, published_at=None, created_by=editor)
    make_article("Someone else's draft", status=Status.DRAFT, published_at=None)
    page = as_user(editor).get("/admin/").content.decode()
    day = page[page.index('id="editors-day"') :]

    def block(caption):
        return day[day.index(f"{caption} (") :].split("</table>")[0]

    for caption, headline in [
        ("In review", "Waiting for review"),
        ("Scheduled for later today", "Embargoed communique"),
        ("Published today", "Went out this morning"),
        ("Drafts", "My own draft"),
        ("Drafts", "Someone else&#x27;s draft"),
        ("My stories in hand (draft or in review)", "My own draft"),
    ]:
        assert headline in block(caption), caption
    assert f'datetime="{at.isoformat()}"' in day
    assert "Someone else&#x27;s draft" not in block("My stories in hand")


def test_audit_trail_is_visible_in_the_admin(as_user, editor, make_article):
    article = make_article("Envoy lands", status=Status.REVIEW, published_at=None)
    publishing.publish(article, by=editor)
    publishing.unpublish(article, by=editor)
    client = as_user(editor)
    page = client.get("/admin/articles/publicationevent/").content.decode()
    assert page.count("Envoy lands") == 2 and "Published" in page and "Unpublished" in page
    change_page = client.get(CHANGE.format(article.pk)).content.decode()
    assert "Publication history" in change_page
    actions = re.findall(r'class="field-action">\s*<p>([^<]+)</p>', change_page)
    assert actions == ["Unpublished", "Published"]  # newest first
