"""An old slug belongs to the story that had it: its inbound links keep leading there.

Issue 12, point 7: a reporter could give a draft a published story's former slug (its old URL then
answered 404) and, after renaming the draft, own the redirect, so the story's links led to the draft.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from articles import publishing
from articles.models import Article, SlugRedirect, Status
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
ADD = "/admin/articles/article/add/"
REDIRECT_DELETE = "/admin/articles/slugredirect/{}/delete/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def open_form(client, article=None):
    response = client.get(CHANGE.format(article.pk) if article else ADD)
    assert response.status_code == 200
    return form_data(response.content.decode(), "article_form")


def save_form(client, article=None, **changes):
    """Open the article's change form (or the add form), change what is given, and POST it."""
    data = open_form(client, article)
    data.update(changes)
    return client.post(CHANGE.format(article.pk) if article else ADD, data)


def problems(response):
    return re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)


def until(redirect):
    return f"{timezone.localtime(redirect.created_at):%d %b %Y}"


def redirects():
    return dict(SlugRedirect.objects.values_list("old_slug", "article__headline"))


@pytest.fixture
def renamed_story(editor, make_article):
    """A published story an editor renamed in the admin from old-a to new-a."""
    story = make_article("Envoy lands in Beijing", slug="old-a")
    response = save_form(logged_in(editor), story, slug="new-a")
    assert response.status_code == 302, problems(response)
    story.refresh_from_db()
    assert story.slug == "new-a"
    return story


@pytest.fixture
def draft(make_article):
    return make_article("Reporter's draft", slug="draft-b", status=Status.DRAFT, published_at=None)


# The model: a save never takes, moves or drops another article's redirect.


def test_model_refuses_a_slug_that_is_another_articles_former_slug(renamed_story, draft):
    draft.slug = "old-a"
    with pytest.raises(ValidationError) as refusal:
        draft.save()
    redirect = SlugRedirect.objects.get(old_slug="old-a")
    assert f"“Envoy lands in Beijing” used this address until {until(redirect)}" in str(refusal.value)
    assert Article.objects.get(pk=draft.pk).slug == "draft-b"
    assert redirects() == {"old-a": "Envoy lands in Beijing"}


def test_model_refuses_a_new_article_at_another_articles_former_slug(renamed_story, make_section):
    article = Article(headline="Copycat", slug="old-a", section=make_section("World"))
    with pytest.raises(ValidationError, match="“Envoy lands in Beijing” used this address"):
        article.save()
    assert not Article.objects.filter(headline="Copycat").exists()


def test_renaming_leaves_another_articles_redirect_where_it_is(renamed_story, draft):
    # A state the old code could leave behind: the draft sits at the story's former slug.
    Article.objects.filter(pk=draft.pk).update(slug="old-a")
    draft.refresh_from_db()
    draft.slug = "draft-b-2"
    draft.save()
    assert redirects() == {"old-a": "Envoy lands in Beijing"}
    assert SlugRedirect.objects.get(old_slug="old-a").article == renamed_story


def test_article_takes_back_its_own_former_slug(renamed_story):
    renamed_story.slug = "old-a"
    renamed_story.save()
    assert redirects() == {"new-a": "Envoy lands in Beijing"}


# The admin form: a reporter is refused, naming the story that owns the address.


def test_reporter_cannot_give_a_draft_another_storys_former_slug(renamed_story, draft, reporter):
    response = save_form(logged_in(reporter), draft, slug="old-a", body="Edited.")
    assert response.status_code == 200
    redirect = SlugRedirect.objects.get(old_slug="old-a")
    expected = (
        f"“Envoy lands in Beijing” used this address until {until(redirect)}; only an editor can free it."
    )
    assert expected in str(problems(response))
    draft.refresh_from_db()
    assert (draft.slug, draft.body != "Edited.") == ("draft-b", True)
    assert redirects() == {"old-a": "Envoy lands in Beijing"}


def test_reporter_cannot_create_a_draft_at_another_storys_former_slug(renamed_story, reporter, make_section):
    section = make_section("World")
    response = save_form(
        logged_in(reporter), None, headline="Copycat", slug="old-a", body="Text.", section=section.pk
    )
    assert response.status_code == 200
    assert "“Envoy lands in Beijing” used this address until" in str(problems(response))
    assert not Article.objects.filter(headline="Copycat").exists()


def test_reporter_cannot_free_an_old_address(renamed_story, reporter):
    redirect = SlugRedirect.objects.get(old_slug="old-a")
    client = logged_in(reporter)
    assert client.post(REDIRECT_DELETE.format(redirect.pk), {"post": "yes"}).status_code == 403
    assert SlugRedirect.objects.filter(pk=redirect.pk).exists()


def test_reporters_restore_of_a_revision_cannot_take_another_storys_former_slug(
    editor, reporter, make_article
):
    # The draft once had the slug "x", left it, and an editor freed it; a story then took it and
    # moved on, so "x" is now that story's former address.
    draft = make_article("Reporter's draft", slug="x", status=Status.DRAFT, published_at=None)
    first_revision = draft.history.get()
    draft.slug = "y"
    draft.save()
    SlugRedirect.objects.filter(old_slug="x").delete()
    story = make_article("Envoy lands in Beijing", slug="x")
    story.slug = "x-2"
    story.save()

    client = logged_in(reporter)
    url = f"/admin/articles/article/{draft.pk}/history/{first_revision.history_id}/"
    data = form_data(client.get(url).content.decode(), "historicalarticle_form")
    assert data["slug"] == "x"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "“Envoy lands in Beijing” used this address until" in str(problems(response))
    assert Article.objects.get(pk=draft.pk).slug == "y"
    assert redirects() == {"x": "Envoy lands in Beijing"}


# Editors: refused the same way, and told how to free the address deliberately.


def test_editor_is_refused_too_and_frees_the_address_by_deleting_its_redirect(renamed_story, draft, editor):
    client = logged_in(editor)
    response = save_form(client, draft, slug="old-a")
    assert response.status_code == 200
    assert "“Envoy lands in Beijing” used this address until" in str(problems(response))
    assert "delete it under “Slug redirects”" in str(problems(response))
    assert Article.objects.get(pk=draft.pk).slug == "draft-b"

    redirect = SlugRedirect.objects.get(old_slug="old-a")
    assert client.post(REDIRECT_DELETE.format(redirect.pk), {"post": "yes"}).status_code == 302
    response = save_form(client, draft, slug="old-a")
    assert response.status_code == 302, problems(response)
    assert Article.objects.get(pk=draft.pk).slug == "old-a"
    assert redirects() == {"draft-b": "Reporter's draft"}


# The whole attack, end to end: the story's inbound links keep leading to the story.


def test_a_reporters_draft_never_takes_over_a_published_storys_old_url(
    client, renamed_story, draft, reporter, editor
):
    def leads_to_the_story():
        page = client.get("/articles/old-a/")
        assert (page.status_code, page["Location"]) == (301, "/articles/new-a/")
        api = client.get("/api/articles/old-a/")
        assert (api.status_code, api["Location"]) == (301, "/api/articles/new-a/")
        assert client.get(api["Location"]).json()["headline"] == "Envoy lands in Beijing"

    leads_to_the_story()
    reporter_client = logged_in(reporter)

    response = save_form(reporter_client, draft, slug="old-a")
    assert response.status_code == 200
    assert "only an editor can free it" in str(problems(response))
    assert Article.objects.get(pk=draft.pk).slug == "draft-b"
    assert redirects() == {"old-a": "Envoy lands in Beijing"}
    leads_to_the_story()

    # The reporter renames the draft around; its own old slugs lead nowhere while it is a draft.
    for slug in ("draft-b-2", "draft-b-3"):
        response = save_form(reporter_client, draft, slug=slug)
        assert response.status_code == 302, problems(response)
    assert client.get("/articles/draft-b/").status_code == 404
    assert client.get("/api/articles/draft-b-2/").status_code == 404
    leads_to_the_story()

    # An editor publishes the draft: the story's old URL still leads to the story.
    draft.refresh_from_db()
    publishing.publish(draft, by=editor)
    assert client.get("/articles/draft-b-3/").status_code == 200
    assert client.get("/articles/draft-b/")["Location"] == "/articles/draft-b-3/"
    leads_to_the_story()
    assert redirects() == {
        "old-a": "Envoy lands in Beijing",
        "draft-b": "Reporter's draft",
        "draft-b-2": "Reporter's draft",
    }


def test_a_refreshed_article_leaves_its_redirect_at_the_slug_it_had_in_the_database(make_article):
    article = make_article("Envoy lands", slug="first")
    elsewhere = Article.objects.get(pk=article.pk)
    elsewhere.slug = "second"
    elsewhere.save()

    article.refresh_from_db()
    article.slug = "third"
    article.save()
    assert redirects() == {"first": "Envoy lands", "second": "Envoy lands"}
