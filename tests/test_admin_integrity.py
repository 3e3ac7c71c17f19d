"""The admin's rules an outside audit tried: taking a story down, and who writes what readers see."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from articles import publishing
from articles.models import Article, PublicationEvent, Status, Tag


@pytest.fixture
def story_with_history(make_article, editor):
    """A story an editor published, then unpublished and published again: three audit records."""
    story = make_article("Envoy lands in Beijing", slug="envoy-lands", status=Status.DRAFT, published_at=None)
    publishing.publish(story, by=editor)
    publishing.unpublish(story, by=editor)
    publishing.publish(story, by=editor)
    assert story.publication_events.count() == 3
    return story


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")


def delete_in_the_form(client, article):
    url = f"/admin/articles/article/{article.pk}/delete/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    return client.post(url, {"post": "yes"})


def delete_in_bulk(client, article):
    return client.post(
        "/admin/articles/article/",
        {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
    )


@pytest.mark.parametrize("delete", [delete_in_the_form, delete_in_bulk])
@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_an_article_with_an_audit_trail_can_be_deleted(client, story_with_history, request, who, delete):
    client.force_login(request.getfixturevalue(who))
    response = delete(client, story_with_history)
    assert response.status_code == 302
    assert not Article.objects.filter(pk=story_with_history.pk).exists()
    assert client.get("/articles/envoy-lands/").status_code == 404
    records = PublicationEvent.objects.order_by("at", "pk")
    assert [event.action for event in records] == ["published", "unpublished", "published", "deleted"]
    assert {(event.headline, event.slug) for event in records} == {("Envoy lands in Beijing", "envoy-lands")}


def test_the_audit_log_names_a_deleted_story(client, editor, story_with_history):
    client.force_login(editor)
    delete_in_the_form(client, story_with_history)
    records = PublicationEvent.objects.order_by("at", "pk")
    assert all(event.article_id is None for event in records)
    assert records.last().actor == editor
    log = client.get("/admin/articles/publicationevent/").content.decode()
    assert "Envoy lands in Beijing <em>(deleted)</em>" in log


@pytest.mark.parametrize("when", [timedelta(hours=-1), timedelta(days=1)], ids=["published", "scheduled"])
def test_a_reporter_still_cannot_delete_a_published_or_scheduled_story(client, reporter, make_article, when):
    story = make_article("Envoy lands", published_at=timezone.now() + when)
    PublicationEvent.log(story, PublicationEvent.Action.PUBLISHED, None)
    client.force_login(reporter)
    url = f"/admin/articles/article/{story.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    refused = client.get(delete_in_bulk(client, story)["Location"]).content.decode()
    assert "Only an editor can delete a published or scheduled article" in refused
    assert Article.objects.filter(pk=story.pk).exists()
    assert PublicationEvent.objects.filter(article=story).count() == 1


# Descriptions readers see are written by editors only.


def test_a_reporters_tag_description_never_reaches_the_topic_page(client, reporter, editor, make_article):
    client.force_login(reporter)
    response = client.post(
        "/admin/articles/tag/add/",
        {"name": "Quillwort", "slug": "quillwort", "description": "Unreviewed claim", "aliases": ""},
    )
    assert response.status_code == 302
    tag = Tag.objects.get(slug="quillwort")
    assert tag.description == ""
    make_article("Envoy lands", tags=["Quillwort"])
    assert "Unreviewed claim" not in client.get("/tags/quillwort/").content.decode()


def test_a_reporter_sees_descriptions_read_only(client, reporter, make_article):
    make_article("Envoy lands", tags=["China"])
    client.force_login(reporter)
    page = client.get("/admin/articles/tag/add/").content.decode()
    assert 'name="description"' not in page
    assert 'name="name"' in page


# Each kind readers see described: how to find the test story's one, the field, its public page.
DESCRIBED = {
    "tag": (lambda story: story.tags.get(), "description", "/tags/china/"),
    "section": (lambda story: story.section, "description", "/sections/world/"),
    "author": (lambda story: story.bylines.get().author, "bio", "/authors/ana-ruiz/"),
}


def form_data(obj, field, text):
    other = {"tag": {"aliases": ""}, "section": {"position": 0}, "author": {"user": ""}}
    return {"name": obj.name, "slug": obj.slug, field: text, **other[obj._meta.model_name]}


@pytest.mark.parametrize("kind", DESCRIBED)
def test_a_forged_change_by_a_reporter_leaves_the_description(client, reporter, make_article, kind):
    """Reporters have no change permission on these; the server says so and changes nothing."""
    find, field, page = DESCRIBED[kind]
    obj = find(make_article("Envoy lands", tags=["China"]))
    client.force_login(reporter)
    response = client.post(f"/admin/articles/{kind}/{obj.pk}/change/", form_data(obj, field, "Unreviewed"))
    assert response.status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == ""
    assert "Unreviewed" not in client.get(page).content.decode()


@pytest.mark.parametrize("kind", ["section", "author"])
def test_a_reporter_cannot_add_a_section_or_author(client, reporter, make_article, kind):
    find, field, _ = DESCRIBED[kind]
    obj = find(make_article("Envoy lands"))
    client.force_login(reporter)
    data = {**form_data(obj, field, "Unreviewed"), "name": "Forged", "slug": "forged"}
    assert client.post(f"/admin/articles/{kind}/add/", data).status_code == 403
    assert not obj._meta.model.objects.filter(slug="forged").exists()


@pytest.mark.parametrize("kind", DESCRIBED)
def test_an_editor_writes_the_description_readers_see(client, editor, make_article, kind):
    find, field, page = DESCRIBED[kind]
    obj = find(make_article("Envoy lands", tags=["China"]))
    client.force_login(editor)
    response = client.post(
        f"/admin/articles/{kind}/{obj.pk}/change/", form_data(obj, field, "Coverage of the PRC.")
    )
    assert response.status_code == 302
    assert "Coverage of the PRC." in client.get(page).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_audit_migration_names_earlier_records_and_rolls_back(make_article, editor):
    kept = make_article("Envoy lands in Beijing", slug="envoy-lands")
    PublicationEvent.log(kept, PublicationEvent.Action.PUBLISHED, editor)
    withdrawn = make_article("Withdrawn on legal advice", slug="withdrawn")
    PublicationEvent.log(withdrawn, PublicationEvent.Action.PUBLISHED, editor)
    withdrawn.delete()

    # Back to records that must each have their story: a deleted story's go, as they did then.
    call_command("migrate", "articles", "0009_content_version_and_plain_text", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT article_id FROM articles_publicationevent")
        assert cursor.fetchall() == [(kept.pk,)]

    # Forward again for every app: going back unapplied what depends on articles (photos).
    call_command("migrate", verbosity=0)
    event = PublicationEvent.objects.get()
    assert (event.headline, event.slug) == ("Envoy lands in Beijing", "envoy-lands")
    assert event.article_id == kept.pk
