"""The desk in a real browser: who else has a story open, kept current by the heartbeat and gone
when their tab closes; notes added without losing the story's unsaved changes."""

from playwright.sync_api import expect

from articles.models import Status
from desk import presence
from desk.models import Note
from tests.conftest import PASSWORD

CHANGE = "/admin/articles/article/{}/change/"


def test_two_editors_on_one_story_see_each_other_until_one_leaves(
    page_factory, live_server, admin_login, make_user, editor, make_article, monkeypatch
):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 1)  # a beat a second, not every 30
    ana = make_user("ana", "Editor", first_name="Ana", last_name="Ruiz")
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    ed_page, ana_page = page_factory(), page_factory()
    admin_login(ed_page, live_server, editor.username, PASSWORD)
    admin_login(ana_page, live_server, ana.username, PASSWORD)

    ed_page.goto(CHANGE.format(draft.pk))
    expect(ed_page.locator("#desk-presence")).to_be_hidden()  # nobody else yet
    ana_page.goto(CHANGE.format(draft.pk))
    expect(ana_page.locator("#desk-presence")).to_contain_text("Ed Moss has had this story open since")
    # Ed's page learns of Ana from its heartbeat, without a reload.
    expect(ed_page.locator("#desk-presence")).to_contain_text("Ana Ruiz has had this story open since")

    ana_page.close()  # pagehide: the beacon takes her presence away
    expect(ed_page.locator("#desk-presence")).to_be_hidden()


def test_a_note_is_added_in_place_and_the_storys_unsaved_changes_stay(
    page, live_server, admin_login, editor, make_article
):
    draft = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    admin_login(page, live_server, editor.username, PASSWORD)
    page.goto(CHANGE.format(draft.pk))
    page.locator("#id_headline").fill("Envoy lands in Beijing")  # not saved yet
    page.locator("#id_desk_note_text").fill("Check the minister's title.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#desk-notes .desk-note__text")).to_have_text(["Check the minister's title."])
    expect(page.locator("#id_desk_note_text")).to_have_value("")
    expect(page.locator("#id_headline")).to_have_value("Envoy lands in Beijing")
    assert Note.objects.get().author == editor

    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#desk-notes")).to_contain_text("No notes yet.")
    expect(page.locator("#id_headline")).to_have_value("Envoy lands in Beijing")

    # Enter in a field saves the story (the form's first button is its Save), not a note.
    page.locator("#id_headline").press("Enter")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    assert Note.objects.count() == 0
