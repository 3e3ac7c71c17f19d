"""Notes on a story (desk app): left on the story's form for the desk, never for readers."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import caching, publishing
from articles.models import Article, Status
from desk import presence
from desk.models import Note
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"


def note_button_url(page, label):
    """Where a button of the story's form posts to (its formaction), found by its label."""
    match = re.search(rf'formaction="([^"]+)"[^>]*>{label}</button>', page)
    assert match, f"no “{label}” button"
    return match.group(1)


def leave_note(client, article, text):
    """What a browser sends: the story's whole form, to the Add note button's address."""
    page = client.get(CHANGE.format(article.pk)).content.decode()
    data = form_data(page, "article_form")
    data["desk_note_text"] = text
    return client.post(note_button_url(page, "Add note"), data)


def notes_panel(page):
    return page[page.index('id="desk-notes"') :].split("</fieldset>")[0]


def test_a_reporter_leaves_a_note_and_the_editor_reads_it_on_the_form(client, reporter, editor, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None, created_by=reporter)
    client.force_login(reporter)
    response = leave_note(client, draft, "Check the minister's title with the Beijing desk.")
    assert response.status_code == 302
    assert response["Location"] == CHANGE.format(draft.pk) + "#desk-notes"

    client.force_login(editor)
    panel = notes_panel(client.get(CHANGE.format(draft.pk)).content.decode())
    assert "Check the minister&#x27;s title with the Beijing desk." in panel
    assert "Rita Reyes" in panel
    note = Note.objects.get()
    assert (note.author, note.article) == (reporter, draft)


def test_notes_are_listed_oldest_first(client, editor, reporter, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    leave_note(client, draft, "First: the dateline.")
    client.force_login(editor)
    leave_note(client, draft, "Second: fixed it.")
    panel = notes_panel(client.get(CHANGE.format(draft.pk)).content.decode())
    assert panel.index("First: the dateline.") < panel.index("Second: fixed it.")


def test_author_and_time_come_from_the_request_not_the_form(client, reporter, editor, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    page = client.get(CHANGE.format(draft.pk)).content.decode()
    data = {
        **form_data(page, "article_form"),
        "desk_note_text": "Mine.",
        "author": str(editor.pk),
        "created_at": "2001-01-01T00:00:00Z",
    }
    client.post(note_button_url(page, "Add note"), data)
    note = Note.objects.get()
    assert note.author == reporter
    assert note.created_at.year != 2001


def test_an_empty_note_is_refused_with_a_message(client, reporter, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    response = leave_note(client, draft, "   ")
    assert Note.objects.count() == 0
    assert "The note is empty" in client.get(response["Location"]).content.decode()


def test_adding_a_note_leaves_the_story_as_it_was(
    client, editor, make_article, django_capture_on_commit_callbacks
):
    """A note is the desk's talk, not a change readers see: no new updated time, no new revision,
    no story_changed, and the public pages' cached copies stay."""
    story = make_article("Envoy lands")
    publishing.release_due()
    story.refresh_from_db()
    revisions, version = story.history.count(), caching.current_version()
    heard = []

    def listen(sender, article, **kwargs):
        heard.append(article.pk)

    client.force_login(editor)
    publishing.story_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = leave_note(client, story, "Readers asked about the photo credit.")
    finally:
        publishing.story_changed.disconnect(listen)
    assert response.status_code == 302 and Note.objects.count() == 1
    after = Article.objects.get(pk=story.pk)
    assert after.updated_at == story.updated_at
    assert after.edit_version == story.edit_version
    assert story.history.count() == revisions
    assert caching.current_version() == version
    assert heard == []


def test_a_user_deletes_their_own_note_but_not_anothers(client, reporter, make_user, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    other = make_user("omar", "Reporter", first_name="Omar", last_name="Haddad")
    client.force_login(other)
    leave_note(client, draft, "Omar's note.")
    client.force_login(reporter)
    leave_note(client, draft, "Rita's note.")
    omars, ritas = Note.objects.order_by("pk")

    panel = notes_panel(client.get(CHANGE.format(draft.pk)).content.decode())
    assert panel.count(">Delete</button>") == 1
    assert f"/admin/desk/notes/{ritas.pk}/delete/" in panel
    forged = client.post(f"/admin/desk/notes/{omars.pk}/delete/")
    assert forged.status_code == 403
    assert Note.objects.filter(pk=omars.pk).exists()

    client.post(f"/admin/desk/notes/{ritas.pk}/delete/")
    assert list(Note.objects.all()) == [omars]


def test_an_editor_deletes_anyones_note(client, reporter, editor, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    leave_note(client, draft, "Rita's note.")
    client.force_login(editor)
    panel = notes_panel(client.get(CHANGE.format(draft.pk)).content.decode())
    assert ">Delete</button>" in panel
    response = client.post(note_button_url(panel, "Delete"))
    assert response.status_code == 302
    assert Note.objects.count() == 0


def test_notes_need_a_signed_in_staff_user(client, make_article):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    response = client.post(f"/admin/desk/stories/{draft.pk}/notes/", {"desk_note_text": "Hello"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Note.objects.count() == 0


def test_a_note_on_a_missing_story_is_a_404(client, editor):
    client.force_login(editor)
    assert client.post("/admin/desk/stories/999999/notes/", {"desk_note_text": "Hi"}).status_code == 404


def test_pressing_enter_in_a_field_saves_the_story_not_a_note(client, editor, make_article):
    """Enter in a field submits the form's first submit button; the notes' buttons come before the
    story's own Save, so the panel puts a Save first."""
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = client.get(CHANGE.format(draft.pk)).content.decode()
    form = page[page.index('id="article_form"') :]
    first_button = re.search(r"<(?:button|input)[^>]*type=\"submit\"[^>]*>", form).group(0)
    assert 'name="_save"' in first_button and "formaction" not in first_button


WORD = "zqxnotewordqzx"


@pytest.mark.parametrize(
    "url",
    [
        "/", "/articles/", "/articles/{slug}/", "/sections/world/", "/authors/ana-ruiz/",
        "/search/?q=envoy", "/feeds/latest/", "/feeds/latest/atom/", "/api/articles/",
        "/api/articles/{slug}/", "/api/articles/?q=envoy", "/sitemap.xml", "/sitemap-articles.xml",
    ],
)  # fmt: skip
def test_notes_are_on_no_public_page(client, editor, make_article, url):
    story = make_article("Envoy lands", slug="envoy-lands")
    Note.objects.create(article=story, author=editor, text=f"Private {WORD} remark.")
    response = client.get(url.format(slug=story.slug))
    assert response.status_code == 200
    assert WORD not in response.content.decode()


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_notes_are_not_exported(tmp_path, editor, make_article, fmt):
    story = make_article("Envoy lands")
    Note.objects.create(article=story, author=editor, text=f"Private {WORD} remark.")
    call_command("export_articles", str(tmp_path / "out"), format=fmt, stdout=io.StringIO())
    written = [path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert written and not any(WORD in text for text in written)


def test_deleting_a_story_deletes_its_notes(editor, make_article):
    story = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    Note.objects.create(article=story, author=editor, text="Gone with it.")
    publishing.delete(story, by=editor)
    assert Note.objects.count() == 0


def test_a_reporter_notes_a_published_story_they_may_only_read(client, reporter, make_article):
    story = make_article("Envoy lands")
    client.force_login(reporter)
    page = client.get(CHANGE.format(story.pk)).content.decode()
    assert 'name="_save"' not in page  # still a read-only view
    response = leave_note(client, story, "The caption names the wrong minister.")
    assert response.status_code == 302
    assert Note.objects.get().text == "The caption names the wrong minister."


def test_with_script_the_notes_box_is_redrawn_in_place(client, reporter, make_article):
    """notes.js posts in the background and puts the answer in place of the box, so the story's
    unsaved changes stay on the page."""
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    page = client.get(CHANGE.format(draft.pk)).content.decode()
    assert re.search(r'<script src="/static/desk/notes[.\w]*\.js" defer>', page)
    url = note_button_url(page, "Add note")

    added = client.post(url, {"desk_note_text": "Call the embassy."}, HTTP_X_DESK_NOTES="box")
    assert added.status_code == 200
    box = added.content.decode()
    assert box.startswith('<fieldset class="module aligned desk-notes" id="desk-notes">')
    assert "Call the embassy." in box and ">Delete</button>" in box

    refused = client.post(url, {"desk_note_text": ""}, HTTP_X_DESK_NOTES="box")
    assert refused.status_code == 400
    assert "The note is empty" in refused.content.decode()
    assert Note.objects.count() == 1

    deleted = client.post(note_button_url(box, "Delete"), HTTP_X_DESK_NOTES="box")
    assert deleted.status_code == 200 and "No notes yet." in deleted.content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_the_panels_queries_are_flat(client, editor, make_user, make_article, count):
    """The desk's panels add three queries to a story's form once the user's presence is recorded
    (seen again, others present, the notes with their authors), however many notes and people."""
    story = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    for n in range(count):
        colleague = make_user(f"colleague{n}", "Reporter", first_name="Col", last_name=f"League {n}")
        Note.objects.create(article=story, author=colleague, text=f"Note {n}.")
        presence.record(story, colleague)
    client.force_login(editor)
    client.get(CHANGE.format(story.pk))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(CHANGE.format(story.pk)).content.decode()
    assert len([query for query in queries if "desk_" in query["sql"]]) == 3
    assert page.count("has had this story open since") == count
    assert page.count('class="desk-note"') == count
