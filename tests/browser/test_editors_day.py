"""An editor's day in Chromium, from the sign-in with a code to restoring an earlier revision: write,
tag three topics by typing, preview the unsaved text, schedule in the desk's time zone, watch the
story go live at that time, correct it, and bring back an earlier revision with its topics.

Each thing the editor does after signing in (a click, a field typed into, a key that picks) is a
step; the day took 24 of them before the desk's form was rebuilt (issue 16) and must take fewer.
"""

from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article, Status
from articles.publishing_actions import desk_time, schedule_line
from tests.browser.admin_widgets import search_autocomplete
from tests.conftest import PASSWORD, totp_code

DAY_BEFORE = 24  # steps for write, tag, preview, schedule before this issue


class Steps:
    def __init__(self):
        self.taken = []

    def __call__(self, what):
        self.taken.append(what)


def test_an_editors_day(
    page, page_factory, failure_screenshots, settings, editor, make_authenticator, make_section
):
    settings.TIME_ZONE = "America/New_York"  # the desk's time zone (NEWSROOM_TIME_ZONE)
    call_command("load_vocabulary", verbosity=0)
    diplomacy = make_section("Diplomacy")
    device = make_authenticator(editor)
    failure_screenshots.watch(page, "editors-day")
    step = Steps()

    # Sign in with a code from the authenticator app.
    page.goto("/admin/login/")
    page.locator("#id_username").fill(editor.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_otp_token").fill(totp_code(device))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Write.
    page.goto("/admin/articles/article/add/")
    step("open a new story")
    page.locator("#id_headline").press_sequentially("Envoy lands in Beijing")
    step("headline")
    page.locator("#id_dek").fill("Talks on trade and human rights resume on Monday.")
    step("dek")
    body = "The envoy arrived on Tuesday for talks on sanctions.\n\nHuman rights were raised at lunch."
    page.locator("#id_body").fill(body)
    step("body")
    sections = search_autocomplete(page, "section", "Diplo")
    step("type the section")
    sections.filter(has_text="Diplomacy").click()
    step("pick the section")
    expect(page.locator("#id_section")).to_have_value(str(diplomacy.pk))

    # Tag three topics by typing: type, pick, type, pick.
    box = page.get_by_role("combobox", name="Topics")
    listbox = page.get_by_role("listbox", name="Topics")
    for typed, topic in (("chin", "China"), ("Uighur", "Uyghurs"), ("sanct", "Sanctions")):
        box.press_sequentially(typed)
        expect(listbox.get_by_role("option").first).to_contain_text(topic)
        box.press("Enter")
        step(f"type and pick {topic}")
    expect(page.locator(".topic-chip")).to_have_text(["China×", "Uyghurs×", "Sanctions×"])

    # Preview the unsaved text: a new tab shows it as typed, and nothing is saved.
    with page.context.expect_page(timeout=30_000) as opened:
        page.get_by_role("button", name="Preview").click()
    step("preview")
    preview = opened.value
    expect(preview.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")
    expect(preview.get_by_text("not saved yet")).to_be_visible()
    expect(preview.get_by_text("Human rights were raised at lunch.")).to_be_visible()
    assert not Article.objects.exists()
    preview.close()
    page.bring_to_front()

    # Schedule in the desk's time zone, two minutes from now as the desk's clock reads it.
    at = timezone.localtime(timezone.now() + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.get_by_role("button", name="Schedule…").click()
    step("schedule…")
    page.locator("#id_schedule_at_0").fill(f"{at:%Y-%m-%d}")
    step("date")
    page.locator("#id_schedule_at_1").fill(f"{at:%H:%M}")
    step("time")
    page.get_by_role("button", name="Schedule…").click()
    step("schedule")
    expect(page.locator("#action-confirmation")).to_contain_text(schedule_line(at))
    assert at.tzname() in schedule_line(at)  # "Goes live Sat 6 Dec 08:02 EST."
    page.get_by_role("button", name="Confirm").click()
    step("confirm")

    expect(page.locator("#story-state")).to_have_text(f"Scheduled for {desk_time(at)}")
    story = Article.objects.get(slug="envoy-lands-in-beijing")
    assert (story.status, story.published_at) == (Status.PUBLISHED, at)
    assert sorted(story.tags.names()) == ["China", "Sanctions", "Uyghurs"]
    reader = page_factory()
    assert reader.goto(story.get_absolute_url()).status == 404  # not out yet

    print(f"\nThe editor's day: {len(step.taken)} steps (was {DAY_BEFORE}): {', '.join(step.taken)}")
    assert len(step.taken) < DAY_BEFORE

    # At the time, the story is live: the form says so and readers have it.
    with time_machine.travel(at + timedelta(seconds=30), tick=True):
        page.reload()
        expect(page.locator("#story-state")).to_contain_text(f"Live since {desk_time(at)}")
        expect(page.locator("#story-state").get_by_role("link", name="the live page")).to_be_visible()
        assert reader.goto(story.get_absolute_url()).status == 200
        expect(reader.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")

        # A correction.
        page.get_by_role("button", name="Add another Correction").click()
        page.locator("#id_corrections-0-text").fill("An earlier version misdated the talks.")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
        reader.reload()
        expect(reader.get_by_text("An earlier version misdated the talks.")).to_be_visible()

        # A topic comes off in a later save ...
        page.get_by_role("button", name="Remove Sanctions").click()
        page.locator("#id_change_note").fill("Dropped a topic")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
        assert sorted(story.tags.names()) == ["China", "Uyghurs"]

        # ... and the earlier revision comes back with its topics.
        page.get_by_role("link", name="History").click()
        newest = page.locator("#change-history tbody tr").first
        expect(newest).to_contain_text("Dropped a topic")
        expect(newest.locator(".revision-changes")).to_contain_text("Topics:")
        expect(newest.locator(".revision-changes del").last).to_contain_text("Sanctions")
        page.locator("#change-history tbody tr").nth(1).get_by_role("link", name="View or restore").click()
        expect(page.locator("#revision-summary")).to_contain_text("China, Sanctions, Uyghurs")
        page.get_by_role("button", name="Revert").first.click()
        expect(page.locator("ul.messagelist")).to_contain_text("Restored the version of")
        assert sorted(story.tags.names()) == ["China", "Sanctions", "Uyghurs"]
        assert Article.objects.get(pk=story.pk).corrections.count() == 1
        reader.reload()
        expect(reader.get_by_role("link", name="Sanctions")).to_be_visible()
    restored = story.history.order_by("-history_id").first()
    assert restored.history_change_reason.startswith("Restored the version of ")
