"""A reporter keeps working on a draft an editor has featured or given a publication time.

The reporter sees those fields disabled and a browser does not submit a disabled field, so the
server takes them from the database, never from the POST (issue 12, point 10).
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article, Status
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
PLANNED = datetime(2031, 5, 4, 9, 30, tzinfo=ZoneInfo("UTC"))


def open_form(client, article):
    response = client.get(CHANGE.format(article.pk))
    assert response.status_code == 200
    return form_data(response.content.decode(), "article_form")


def problems(response):
    return re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)


@pytest.fixture
def featured_draft(editor, make_article):
    """A draft that an editor, through the admin, featured and gave a planned publication time."""
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None, body="First draft.")
    client = Client()
    client.force_login(editor)
    data = open_form(client, draft)
    local = timezone.localtime(PLANNED)  # the admin shows and reads times in the desk's zone
    data.update(featured="on", published_at_0=f"{local:%Y-%m-%d}", published_at_1=f"{local:%H:%M:%S}")
    response = client.post(CHANGE.format(draft.pk), data)
    assert response.status_code == 302, problems(response)
    draft.refresh_from_db()
    assert (draft.status, draft.featured, draft.published_at) == (Status.DRAFT, True, PLANNED)
    return draft


def test_reporter_saves_a_featured_draft_with_a_publication_time(client, reporter, featured_draft):
    client.force_login(reporter)
    data = open_form(client, featured_draft)
    # What a browser sends: the disabled fields are not in the form data at all.
    assert "featured" not in data and "published_at_0" not in data and "published_at_1" not in data

    data["body"] = "Second draft, with the minister's quote."
    response = client.post(CHANGE.format(featured_draft.pk), data)

    assert response.status_code == 302, problems(response)
    featured_draft.refresh_from_db()
    assert featured_draft.body == "Second draft, with the minister's quote."
    assert (featured_draft.status, featured_draft.featured, featured_draft.published_at) == (
        Status.DRAFT,
        True,
        PLANNED,
    )
    assert featured_draft.updated_by == reporter


def test_reporter_sends_a_featured_draft_to_review(client, reporter, featured_draft):
    client.force_login(reporter)
    data = open_form(client, featured_draft)
    data["status"] = Status.REVIEW
    response = client.post(CHANGE.format(featured_draft.pk), data)

    assert response.status_code == 302, problems(response)
    featured_draft.refresh_from_db()
    assert (featured_draft.status, featured_draft.featured, featured_draft.published_at) == (
        Status.REVIEW,
        True,
        PLANNED,
    )


@pytest.mark.parametrize(
    "forged",
    [
        {"featured": "false"},
        {"published_at_0": "2030-01-01", "published_at_1": "09:00:00"},
        {"published_at_0": "", "published_at_1": ""},
        {"featured": "false", "published_at_0": "2030-01-01", "published_at_1": "09:00:00"},
    ],
    ids=["unfeature", "move-time", "clear-time", "both"],
)
def test_reporters_forged_editor_fields_are_refused_and_the_database_keeps_them(
    client, reporter, featured_draft, forged
):
    client.force_login(reporter)
    data = open_form(client, featured_draft)
    data.update(body="Second draft.", **forged)
    response = client.post(CHANGE.format(featured_draft.pk), data)

    assert response.status_code == 200
    assert "Only an editor can change" in str(problems(response))
    featured_draft.refresh_from_db()
    assert (featured_draft.body, featured_draft.featured, featured_draft.published_at) == (
        "First draft.",
        True,
        PLANNED,
    )


def test_reporters_post_repeating_the_stored_values_is_saved(client, reporter, featured_draft):
    """A client that sends the disabled fields with the values they show changes nothing by it."""
    client.force_login(reporter)
    data = open_form(client, featured_draft)
    local = timezone.localtime(PLANNED)
    data.update(
        body="Second draft.",
        featured="on",
        published_at_0=f"{local:%Y-%m-%d}",
        published_at_1=f"{local:%H:%M:%S}",
    )
    response = client.post(CHANGE.format(featured_draft.pk), data)

    assert response.status_code == 302, problems(response)
    featured_draft.refresh_from_db()
    assert (featured_draft.body, featured_draft.featured, featured_draft.published_at) == (
        "Second draft.",
        True,
        PLANNED,
    )


def test_reporter_still_saves_a_plain_draft(client, reporter, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    data = open_form(client, draft)
    data["body"] = "Second draft."
    assert client.post(CHANGE.format(draft.pk), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.body, draft.featured, draft.published_at) == ("Second draft.", False, None)
    assert Article.objects.count() == 1


def test_editor_may_still_unfeature_and_clear_the_time(client, editor, featured_draft):
    client.force_login(editor)
    data = open_form(client, featured_draft)
    del data["featured"]  # an unticked box is absent
    data.update(published_at_0="", published_at_1="")
    response = client.post(CHANGE.format(featured_draft.pk), data)

    assert response.status_code == 302, problems(response)
    featured_draft.refresh_from_db()
    assert (featured_draft.featured, featured_draft.published_at) == (False, None)
