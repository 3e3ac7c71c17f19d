"""The admin's rules an outside audit tried: taking a story down, and who writes what readers see."""

import pytest

from articles.models import Article, Author, PublicationEvent, Section, Status, Tag


@pytest.fixture
def story_with_history(make_article, editor):
    """A story an editor published, then unpublished and published again: three audit records."""
    story = make_article("Envoy lands in Beijing", slug="envoy-lands", status=Status.DRAFT, published_at=None)
    story.publish(by=editor)
    story.unpublish(by=editor)
    story.publish(by=editor)
    assert story.publication_events.count() == 3
    return story


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_an_article_with_an_audit_trail_can_be_deleted(client, story_with_history, request, who):
    client.force_login(request.getfixturevalue(who))
    url = f"/admin/articles/article/{story_with_history.pk}/delete/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=story_with_history.pk).exists()
    assert client.get("/articles/envoy-lands/").status_code == 404


def test_the_bulk_delete_action_takes_down_a_published_story(client, editor, story_with_history):
    client.force_login(editor)
    response = client.post(
        "/admin/articles/article/",
        {"action": "delete_selected", "_selected_action": [story_with_history.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Article.objects.filter(pk=story_with_history.pk).exists()


def test_audit_records_survive_with_what_they_recorded(client, editor, story_with_history):
    client.force_login(editor)
    client.post(f"/admin/articles/article/{story_with_history.pk}/delete/", {"post": "yes"})
    events = PublicationEvent.objects.order_by("at", "pk")
    assert [event.action for event in events] == ["published", "unpublished", "published", "deleted"]
    assert {(event.headline, event.slug) for event in events} == {("Envoy lands in Beijing", "envoy-lands")}
    assert all(event.article_id is None for event in events)
    assert events.last().actor == editor
    log = client.get("/admin/articles/publicationevent/").content.decode()
    assert "Envoy lands in Beijing" in log


def test_a_reporter_still_cannot_delete_a_published_story(client, reporter, story_with_history):
    client.force_login(reporter)
    response = client.post(f"/admin/articles/article/{story_with_history.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Article.objects.filter(pk=story_with_history.pk).exists()
    assert PublicationEvent.objects.filter(article=story_with_history).count() == 3


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


@pytest.mark.parametrize(
    "model, url, field",
    [
        (Tag, "/admin/articles/tag/{pk}/change/", "description"),
        (Section, "/admin/articles/section/{pk}/change/", "description"),
        (Author, "/admin/articles/author/{pk}/change/", "bio"),
    ],
)
def test_a_forged_change_by_a_reporter_leaves_the_description(
    client, reporter, make_article, model, url, field
):
    """Reporters have no change permission on these; the server says so and changes nothing."""
    story = make_article("Envoy lands", tags=["China"])
    obj = {Tag: lambda: Tag.objects.get(slug="china"), Section: lambda: story.section}.get(
        model, lambda: story.bylines.get().author
    )()
    client.force_login(reporter)
    response = client.post(url.format(pk=obj.pk), {"name": "X", "slug": obj.slug, field: "Unreviewed"})
    assert response.status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == ""


def test_an_editor_writes_the_description_readers_see(client, editor, make_article):
    make_article("Envoy lands", tags=["China"])
    tag = Tag.objects.get(slug="china")
    client.force_login(editor)
    response = client.post(
        f"/admin/articles/tag/{tag.pk}/change/",
        {"name": "China", "slug": "china", "description": "Coverage of the PRC.", "aliases": ""},
    )
    assert response.status_code == 302
    assert "Coverage of the PRC." in client.get("/tags/china/").content.decode()
