"""The story form's explicit actions: by role, each confirmed in one line, the state said in words at
the head of the form, schedules typed in the desk's time zone, and a preview of unsaved text."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from articles.models import Article, Status
from articles.preview import preview_token
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
SCHEDULE_LINE = "/admin/articles/article/schedule-line/"


@pytest.fixture
def desk_in_new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def open_form(client, article):
    response = client.get(CHANGE.format(article.pk))
    assert response.status_code == 200
    return response.content.decode(), form_data(response.content.decode(), "article_form")


def act(client, article, action, **changes):
    _, data = open_form(client, article)
    data.update(changes, _action=action)
    response = client.post(CHANGE.format(article.pk), data, follow=True)
    assert response.status_code == 200
    article.refresh_from_db()
    return response.content.decode()


def state_line(page):
    return re.search(r'id="story-state"><strong>(.*?)</strong>', page).group(1)


def offered(page):
    return re.findall(r'name="_action" value="(\w+)" data-confirm="([^"]*)"', page)


def test_the_form_says_the_state_in_words(client, editor, make_article, desk_in_new_york):
    client.force_login(editor)
    draft = make_article("A draft", status=Status.DRAFT, published_at=None)
    review = make_article("In review", status=Status.REVIEW, published_at=None)
    at = datetime(2031, 12, 9, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    scheduled = make_article("Embargoed", published_at=at)
    live = make_article("Live one", published_at=datetime(2024, 3, 2, 14, 5, tzinfo=ZoneInfo("UTC")))

    assert state_line(open_form(client, draft)[0]) == "Draft"
    assert state_line(open_form(client, review)[0]) == "In review"
    assert state_line(open_form(client, scheduled)[0]) == "Scheduled for Tue 9 Dec 2031 08:00 EST"
    page = open_form(client, live)[0]
    assert state_line(page) == "Live since Sat 2 Mar 2024 09:05 EST"
    assert f'href="{live.get_absolute_url()}"' in page.split('id="story-state"')[1].split("</p>")[0]


def test_actions_follow_the_role_and_each_names_what_will_happen(
    client, editor, reporter, make_article, desk_in_new_york
):
    draft = make_article("A draft", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    assert dict(offered(open_form(client, draft)[0])) == {
        "draft": "Saved as a draft: not on the site.",
        "review": "Goes to the review queue for an editor to publish.",
    }
    client.force_login(editor)
    actions = dict(offered(open_form(client, draft)[0]))
    assert set(actions) == {"draft", "review", "publish", "schedule"}
    assert actions["publish"].startswith("Goes live now, ") and actions["publish"].endswith(("EST.", "EDT."))
    live = make_article("Live one")
    actions = dict(offered(open_form(client, live)[0]))
    assert set(actions) == {"unpublish"}
    assert actions["unpublish"] == "Comes off the site now, and goes back to draft."


def test_publish_now_then_unpublish(client, editor, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = act(client, draft, "publish")
    assert draft.is_public
    assert "Live since" in state_line(page) and "Live since" in page.split('class="messagelist"')[1]
    assert client.get(draft.get_absolute_url()).status_code == 200

    act(client, draft, "unpublish")
    assert draft.status == Status.DRAFT and draft.published_at is None
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_schedule_is_typed_in_the_desks_time_zone(client, editor, make_article, desk_in_new_york):
    draft = make_article("Embargoed", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = act(client, draft, "schedule", schedule_at_0="2031-12-09", schedule_at_1="08:00")
    assert draft.status == Status.PUBLISHED
    assert draft.published_at == datetime(2031, 12, 9, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert state_line(page) == "Scheduled for Tue 9 Dec 2031 08:00 EST"
    assert "Scheduled: goes live Tue 9 Dec 2031 08:00 EST." in page
    assert "Publish at (America/New_York)" in page


def test_the_schedule_line_is_worded_by_the_server(client, editor, reporter, desk_in_new_york):
    client.force_login(editor)
    answer = client.get(SCHEDULE_LINE, {"date": "2031-07-04", "time": "18:30"})
    assert answer.json() == {"line": "Goes live Fri 4 Jul 2031 18:30 EDT."}
    past = client.get(SCHEDULE_LINE, {"date": "2020-01-01", "time": "09:00"})
    assert past.status_code == 400 and "future" in past.json()["error"]
    assert client.get(SCHEDULE_LINE, {"date": "soon", "time": "x"}).status_code == 400
    client.force_login(reporter)
    assert client.get(SCHEDULE_LINE, {"date": "2031-07-04", "time": "18:30"}).status_code == 403


def test_a_schedule_in_the_past_is_refused_and_nothing_changes(client, editor, make_article):
    draft = make_article("Embargoed", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = act(client, draft, "schedule", schedule_at_0="2020-01-01", schedule_at_1="09:00")
    assert "Choose a date and time in the future to schedule" in page
    assert (draft.status, draft.published_at) == (Status.DRAFT, None)


def test_send_to_review_and_back(client, reporter, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    page = act(client, draft, "review")
    assert draft.status == Status.REVIEW and state_line(page) == "In review"
    act(client, draft, "draft")
    assert draft.status == Status.DRAFT


def test_a_reporters_forged_publish_action_is_refused(client, reporter, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    page = act(client, draft, "publish", headline="Changed")
    assert "Only an editor can publish or schedule an article." in page
    assert (draft.status, draft.headline, draft.published_at) == (Status.DRAFT, "Envoy lands", None)
    act(client, draft, "launch")
    assert draft.status == Status.DRAFT


def test_a_plain_save_keeps_the_story_where_it_is(client, editor, make_article):
    scheduled = make_article("Embargoed", published_at=timezone.now() + timedelta(days=2))
    before = scheduled.published_at
    client.force_login(editor)
    _, data = open_form(client, scheduled)
    data["headline"] = "Embargoed, retitled"
    assert client.post(CHANGE.format(scheduled.pk), data).status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.published_at) == (Status.PUBLISHED, before)


def test_preview_shows_the_text_as_typed_without_saving(client, editor, make_article):
    draft = make_article("Saved headline", body="Saved body.", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page, data = open_form(client, draft)
    url = re.search(r'formaction="(/preview/[^"]+)"', page).group(1)  # the form's Preview button
    data.update(headline="Typed headline", body="Typed **body**, not saved.")
    shown = client.post(url, data)
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "Typed headline" in text and "<strong>body</strong>" in text
    assert "not saved yet" in text and "noindex" in shown["X-Robots-Tag"]
    draft.refresh_from_db()
    assert (draft.headline, draft.body) == ("Saved headline", "Saved body.")
    assert "Saved headline" in client.get(url).content.decode()  # the link itself shows the saved story


def test_a_new_story_can_be_previewed_before_its_first_save(client, editor, make_section):
    section = make_section("Diplomacy")
    client.force_login(editor)
    page = client.get("/admin/articles/article/add/").content.decode()
    url = re.search(r'formaction="(/preview/[^"]+)"', page).group(1)
    shown = client.post(url, {"headline": "Not yet saved", "body": "First draft.", "section": section.pk})
    assert shown.status_code == 200 and "Not yet saved" in shown.content.decode()
    assert "Diplomacy" in shown.content.decode()
    assert not Article.objects.exists()
    assert client.get(url).status_code == 404  # a new story's link has nothing saved to show


def test_only_the_desk_may_post_text_to_a_preview_link(client, make_article):
    draft = make_article("Saved headline", status=Status.DRAFT, published_at=None)
    url = f"/preview/{preview_token(draft)}/"
    assert client.get(url).status_code == 200  # the link is shareable
    response = client.post(url, {"headline": "Injected text"})
    assert response.status_code == 403
    assert "Injected text" not in response.content.decode()


def test_odd_text_posted_to_a_preview_is_shown_safely_not_a_server_error(client, editor, make_article):
    draft = make_article("Saved headline", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    url = f"/preview/{preview_token(draft)}/"
    for section in ("abc", "-1", "99999999999999999999", ""):
        shown = client.post(url, {"headline": "Typed", "section": section, "body": "<script>x()</script>"})
        assert shown.status_code == 200
        assert "<script>x()</script>" not in shown.content.decode()
