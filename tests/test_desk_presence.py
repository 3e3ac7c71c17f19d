"""Who else has a story open (desk app): a word at the top of the form, no lock."""

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from articles.models import Status
from desk.models import Presence

CHANGE = "/admin/articles/article/{}/change/"
MADRID = ZoneInfo("Europe/Madrid")
MORNING = datetime(2026, 3, 10, 8, 12, 5, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def desk_in_madrid(settings):
    settings.TIME_ZONE = "Europe/Madrid"


@pytest.fixture
def ana(make_user):
    return make_user("ana", "Editor", first_name="Ana", last_name="Ruiz")


@pytest.fixture
def draft(make_article):
    return make_article("Envoy lands", status=Status.DRAFT, published_at=None)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def presence_panel(client, article):
    page = client.get(CHANGE.format(article.pk)).content.decode()
    return re.search(r'<div id="desk-presence".*?</div>', page, re.S).group(0)


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_opening_a_story_someone_has_open_says_who_and_since_when(ana, editor, draft):
    with at(MORNING):
        client_for(ana).get(CHANGE.format(draft.pk))
    with at(MORNING + timedelta(minutes=1, seconds=30)):
        panel = presence_panel(client_for(editor), draft)
    assert "Ana Ruiz has had this story open since 08:12 CET (last seen 1 min ago)" in panel
    assert " hidden" not in panel.split(">")[0]


def test_nobody_else_here_shows_nothing(ana, draft):
    with at(MORNING):
        panel = presence_panel(client_for(ana), draft)
    assert "has had this story open" not in panel
    assert " hidden" in panel.split(">")[0]  # the box stays, for the heartbeat to fill


def test_a_presence_older_than_the_window_is_not_shown(ana, editor, draft, settings):
    with at(MORNING):
        client_for(ana).get(CHANGE.format(draft.pk))
    with at(MORNING + settings.NEWSROOM_PRESENCE_WINDOW + timedelta(seconds=1)):
        panel = presence_panel(client_for(editor), draft)
    assert "Ana Ruiz" not in panel


def test_the_heartbeat_keeps_a_presence_and_answers_who_else_is_here(ana, editor, draft):
    ana_client, ed_client = client_for(ana), client_for(editor)
    with at(MORNING):
        ana_client.get(CHANGE.format(draft.pk))
    with at(MORNING + timedelta(minutes=2)):
        ed_client.get(CHANGE.format(draft.pk))
    answers = {}
    for seconds in range(30, 271, 30):  # Ana's form stays open: a beat every 30 seconds
        with at(MORNING + timedelta(minutes=2, seconds=seconds)):
            response = ana_client.post(f"/admin/desk/stories/{draft.pk}/presence/")
        assert response.status_code == 200
        answers[seconds] = json.loads(response.content)["others"]
    assert [other["name"] for other in answers[90]] == ["Ed Moss"]
    assert answers[90][0]["text"] == "Ed Moss has had this story open since 08:14 CET (last seen 1 min ago)"
    assert answers[270] == []  # Ed's tab went quiet more than three minutes ago

    # Seven minutes after Ana opened it, past the window, but her page kept saying so.
    with at(MORNING + timedelta(minutes=7)):
        panel = presence_panel(ed_client, draft)
    assert "Ana Ruiz has had this story open since 08:12 CET (last seen just now)" in panel


def test_reopening_within_the_window_keeps_the_first_opening_time(ana, editor, draft):
    with at(MORNING):
        client_for(ana).get(CHANGE.format(draft.pk))
    with at(MORNING + timedelta(minutes=2)):
        client_for(ana).get(CHANGE.format(draft.pk))  # a save reloads the form
    with at(MORNING + timedelta(minutes=3)):
        panel = presence_panel(client_for(editor), draft)
    assert "since 08:12 CET (last seen 1 min ago)" in panel


def test_closing_the_tab_takes_the_presence_away(ana, editor, draft):
    ana_client = client_for(ana)
    with at(MORNING):
        ana_client.get(CHANGE.format(draft.pk))
        response = ana_client.post(f"/admin/desk/stories/{draft.pk}/presence/leave/")
    assert response.status_code == 204
    with at(MORNING + timedelta(seconds=10)):
        panel = presence_panel(client_for(editor), draft)
    assert "Ana Ruiz" not in panel
    assert not Presence.objects.filter(user=ana).exists()


def test_one_presence_per_user_and_story(ana, draft):
    client = client_for(ana)
    for minutes in (0, 5, 10):  # past the window between each: each opening starts again
        with at(MORNING + timedelta(minutes=minutes)):
            client.get(CHANGE.format(draft.pk))
    presence = Presence.objects.get()
    assert presence.opened_at == presence.seen_at == MORNING + timedelta(minutes=10)


def test_the_heartbeat_needs_the_csrf_token_and_a_staff_sign_in(ana, draft, make_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ana)
    assert strict.post(f"/admin/desk/stories/{draft.pk}/presence/").status_code == 403
    page = strict.get(CHANGE.format(draft.pk)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    beat = strict.post(f"/admin/desk/stories/{draft.pk}/presence/", HTTP_X_CSRFTOKEN=token)
    assert beat.status_code == 200
    leave = strict.post(f"/admin/desk/stories/{draft.pk}/presence/leave/", {"csrfmiddlewaretoken": token})
    assert leave.status_code == 204

    anonymous = Client().post(f"/admin/desk/stories/{draft.pk}/presence/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert Client().get(f"/admin/desk/stories/{draft.pk}/presence/").status_code == 302


def test_the_heartbeat_is_a_static_script_under_the_csp(ana, draft):
    response = client_for(ana).get(CHANGE.format(draft.pk))
    page = response.content.decode()
    panel_and_script = page[page.index('id="desk-presence"') :]
    script = re.search(r"<script[^>]*>", panel_and_script).group(0)
    assert re.search(r'src="/static/desk/presence[.\w]*\.js"', script)
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert Client().get(re.search(r'src="([^"]+)"', script).group(1)).status_code == 200
