"""Tagging at typing speed: the article form's Topics combobox in a real browser, driven by the
keyboard as an editor on deadline drives it."""

import re

from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article, Status
from tests.conftest import PASSWORD

CHANGE = "/admin/articles/article/{}/change/"


def test_an_editor_tags_a_story_by_typing_picking_and_one_click(
    page, live_server, admin_login, failure_screenshots, editor, make_article
):
    call_command("load_vocabulary", verbosity=0)
    story = make_article(
        "Envoy lands for talks",
        status=Status.DRAFT,
        published_at=None,
        body="The talks turned to human rights before lunch.",
    )
    admin_login(page, live_server, editor.username, PASSWORD)
    failure_screenshots.watch(page, "article-form")
    page.goto(CHANGE.format(story.pk))

    box = page.get_by_role("combobox", name="Topics")
    listbox = page.get_by_role("listbox", name="Topics")
    chips = page.locator(".topic-chip")

    # Type, move with the arrows, Enter picks.
    box.press_sequentially("chin")
    expect(listbox.get_by_role("option").first).to_have_text("China")
    box.press("ArrowDown")
    box.press("ArrowUp")
    expect(listbox.get_by_role("option", selected=True)).to_have_text("China")
    box.press("Enter")
    expect(chips).to_have_text(["China×"])
    expect(box).to_have_value("")
    expect(listbox).to_be_hidden()

    # Another name for a topic finds it, and says which name matched.
    box.press_sequentially("Uighur")
    expect(listbox.get_by_role("option").first).to_have_text("Uyghurs (also “Uighur”)")
    box.press("Enter")
    expect(chips).to_have_text(["China×", "Uyghurs×"])

    # Backspace in the empty box takes the last one off; type again to put it back.
    box.press("Backspace")
    expect(chips).to_have_text(["China×"])
    box.press_sequentially("uygh")
    expect(listbox.get_by_role("option").first).to_have_text("Uyghurs")
    box.press("Enter")

    # At typing speed: Enter before the suggestions have come picks the first when they do.
    box.press_sequentially("trad")
    box.press("Enter")
    expect(chips).to_have_text(["China×", "Uyghurs×", "Trade×"])
    page.get_by_role("button", name="Remove Trade").click()
    expect(chips).to_have_text(["China×", "Uyghurs×"])
    expect(box).to_be_focused()

    # The auto-tagger's topic for the text so far, accepted with one click.
    suggested = page.locator(".topic-suggested")
    expect(suggested).to_contain_text("Suggested:")
    suggested.get_by_role("button", name="Human rights").click()
    expect(chips).to_have_text(["China×", "Uyghurs×", "Human rights×"])
    expect(suggested.get_by_role("button", name="Human rights")).to_have_count(0)

    # The body now names another topic: it is offered without a reload.
    page.locator("#id_body").press("Control+End")
    page.locator("#id_body").press_sequentially(" Sanctions came up too.")
    expect(suggested.get_by_role("button", name="Sanctions")).to_be_visible()

    # An editor may create a topic the vocabulary lacks.
    box.press_sequentially("Arctic shipping")
    expect(listbox.get_by_role("option", name="Create topic “Arctic shipping”")).to_be_visible()
    box.press("Enter")
    expect(page.get_by_role("button", name="Remove Arctic shipping")).to_be_visible()

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    saved = sorted(Article.objects.get(pk=story.pk).tags.names())
    assert saved == ["Arctic shipping", "China", "Human rights", "Uyghurs"]
    # The form opens again with the saved topics as chips, each with a labelled remove button.
    for name in saved:
        expect(page.get_by_role("button", name=f"Remove {name}")).to_be_visible()


def test_without_the_script_the_field_is_a_plain_multi_select(
    new_context, live_server, admin_login, editor, make_article
):
    call_command("load_vocabulary", verbosity=0)
    story = make_article("Envoy lands for talks", status=Status.DRAFT, published_at=None)
    page = new_context(java_script_enabled=False).new_page()
    admin_login(page, live_server, editor.username, PASSWORD)
    page.goto(CHANGE.format(story.pk))
    select = page.get_by_role("listbox", name="Topics")
    select.select_option(label=["China", "Trade"])
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text(re.compile("changed successfully"))
    assert sorted(Article.objects.get(pk=story.pk).tags.names()) == ["China", "Trade"]
