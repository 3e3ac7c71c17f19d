"""Live coverage in the admin: one click from the story to the update form, reporters' drafts and
editors' publishing, corrections, and marking a story live from its form."""

import pytest

from live.models import LiveStory, LiveUpdate, UpdateStatus
from tests.formdata import form_data


@pytest.fixture
def story(make_article):
    article = make_article("Secretary of State in Beijing: live", tags=["China"])
    return LiveStory.objects.create(article=article)


def add_form(client, story):
    response = client.get(f"/admin/live/liveupdate/add/?story={story.pk}")
    assert response.status_code == 200
    return response.content.decode()


def post_update(client, story, **fields):
    data = form_data(add_form(client, story), "liveupdate_form")
    data.update(fields)
    data["_save"] = "Save"
    return client.post(f"/admin/live/liveupdate/add/?story={story.pk}", data)


def test_the_storys_form_links_to_posting_an_update_in_one_click(client, editor, story):
    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{story.pk}/change/").content.decode()
    assert "Live coverage" in page
    assert f'href="/admin/live/liveupdate/add/?story={story.pk}" id="post-live-update"' in page


def test_an_editor_posts_straight_to_the_page_and_gets_the_form_back(client, editor, story, make_author):
    author = make_author("Ed Moss")
    author.user = editor
    author.save()
    client.force_login(editor)
    page = add_form(client, story)
    data = form_data(page, "liveupdate_form")
    assert data["story"] == str(story.pk) and data["author"] == str(author.pk) and data["publish"] == "1"
    response = post_update(client, story, headline="Talks begin", body="The two sides sat down at nine.")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/live/liveupdate/add/?story={story.pk}"
    update = LiveUpdate.objects.get()
    assert update.status == UpdateStatus.PUBLISHED and update.author == author and update.created_by == editor
    assert "on the page now" in client.get(response["Location"]).content.decode()
    assert "The two sides sat down at nine." in client.get(story.article.get_absolute_url()).content.decode()


def test_a_reporters_update_is_a_draft_even_when_forged_as_published(client, reporter, story):
    client.force_login(reporter)
    assert 'name="publish"' not in add_form(client, story)
    response = post_update(client, story, body="Unconfirmed: a walkout.", publish="1")
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.status == UpdateStatus.DRAFT
    assert "walkout" not in client.get(story.article.get_absolute_url()).content.decode()


def test_a_reporter_cannot_change_or_remove_a_published_update(client, reporter, story):
    update = LiveUpdate.objects.create(story=story, body="Confirmed.", status=UpdateStatus.PUBLISHED)
    client.force_login(reporter)
    response = client.post(f"/admin/live/liveupdate/{update.pk}/change/", {"body": "Changed by a reporter."})
    assert response.status_code == 403
    assert client.post(f"/admin/live/liveupdate/{update.pk}/delete/", {"post": "yes"}).status_code == 403
    update.refresh_from_db()
    assert update.body == "Confirmed."


def test_an_editor_publishes_a_reporters_drafts(client, editor, story):
    draft = LiveUpdate.objects.create(story=story, body="Now confirmed.")
    client.force_login(editor)
    client.post(
        "/admin/live/liveupdate/",
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == UpdateStatus.PUBLISHED and draft.published_at is not None
    assert "Now confirmed." in client.get(story.article.get_absolute_url()).content.decode()


def test_an_editor_correcting_a_published_update_marks_it(client, editor, story):
    update = LiveUpdate.objects.create(story=story, body="Three hours.", status=UpdateStatus.PUBLISHED)
    client.force_login(editor)
    page = client.get(f"/admin/live/liveupdate/{update.pk}/change/").content.decode()
    data = form_data(page, "liveupdate_form")
    data.update(body="Four hours.", correction="The length was wrong.", _save="Save")
    assert client.post(f"/admin/live/liveupdate/{update.pk}/change/", data).status_code == 302
    update.refresh_from_db()
    assert update.corrected_at is not None and update.status == UpdateStatus.PUBLISHED
    page = client.get(story.article.get_absolute_url()).content.decode()
    assert "Four hours." in page and "The length was wrong." in page


def test_removing_a_published_update_takes_it_off_the_page(client, editor, story):
    update = LiveUpdate.objects.create(story=story, body="Posted in error.", status=UpdateStatus.PUBLISHED)
    client.force_login(editor)
    assert client.post(f"/admin/live/liveupdate/{update.pk}/delete/", {"post": "yes"}).status_code == 302
    assert "Posted in error." not in client.get(story.article.get_absolute_url()).content.decode()


def test_a_story_is_marked_live_from_its_own_form(client, editor, make_article):
    article = make_article("Crisis talks", tags=["China"])
    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    data = form_data(page, "article_form")
    data.update({"live-TOTAL_FORMS": "1", "live-0-key_points": "- Leaders meet at noon", "_save": "Save"})
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert LiveStory.objects.filter(article=article).exists()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Leaders meet at noon" in page and '<span class="live-badge">Live</span>' in page


def test_ending_the_coverage_from_the_list(client, editor, story):
    client.force_login(editor)
    client.post("/admin/live/livestory/", {"action": "end_now", "_selected_action": [story.pk]})
    story.refresh_from_db()
    assert story.ended_at is not None
    assert "This story has ended" in client.get(story.article.get_absolute_url()).content.decode()


def test_removing_several_published_updates_at_once_tells_polling_clients(client, editor, story):
    updates = [
        LiveUpdate.objects.create(story=story, body=f"Posted in error {n}.", status=UpdateStatus.PUBLISHED)
        for n in range(2)
    ]
    since = client.get(f"/api/live/{story.article.slug}/updates/").json()["last_change"]
    client.force_login(editor)
    client.post(
        "/admin/live/liveupdate/",
        {"action": "delete_selected", "_selected_action": [u.pk for u in updates], "post": "yes"},
    )
    assert not LiveUpdate.objects.exists()
    client.logout()
    data = client.get(f"/api/live/{story.article.slug}/updates/", {"since": since}).json()
    assert data["removed"] == sorted(u.pk for u in updates)
