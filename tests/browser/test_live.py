"""A live story in Chromium: a reader keeps its page open while an editor posts from the admin in
another session. The page's 30-second poll runs on Playwright's clock, not on the wall clock: the
reader sees a "Show 3 new updates" button and a polite announcement, the text under their eyes stays
put until they ask, and then the three updates arrive newest first with focus on the newest. Without
JavaScript the page is whole and a reload brings what is new; an update's link finds it on an older
page; an ended story says so and stops asking.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from live.models import LiveStory, LiveUpdate, UpdateStatus
from live.pages import UPDATES_PER_PAGE
from tests.browser import test_accessibility as a11y
from tests.conftest import PASSWORD

CHANGE = "/admin/articles/article/{}/change/"
# The accessibility tests' axe-core, found (or its absence reported) by their fixture.
axe_script = a11y.axe_script
KEY_POINTS = "- The envoy landed in Beijing on Tuesday.\n- Talks on export controls begin at noon."


@pytest.fixture
def live_story(make_article):
    """A public live story, open, with key points and two published updates (the older first)."""
    article = make_article(
        "Envoy in Beijing: live", authors=["Ana Ruiz"], published_at=timezone.now() - timedelta(hours=2)
    )
    story = LiveStory.objects.create(article=article, key_points=KEY_POINTS)
    for headline in ("Envoy lands in Beijing", "Motorcade reaches the guesthouse"):
        post(story, headline)
    return story


def post(story, headline, **fields):
    return LiveUpdate.objects.create(
        story=story, headline=headline, body=f"{headline}, our correspondent reports.",
        status=UpdateStatus.PUBLISHED, **fields,
    )  # fmt: skip


def headlines(page):
    return page.locator(".live-update__headline")


def assert_no_axe_violations(page, axe_script, where):
    # The address changes when a navigation starts: the page is checked once it has loaded.
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate("options => axe.run(document, options)", a11y.AXE_OPTIONS)["violations"]
    assert violations == [], f"{where} ({page.url}):\n{a11y.describe(violations)}"


def test_reader_keeps_the_page_open_while_an_editor_posts_three_updates(
    page_factory, live_server, admin_login, editor, make_author, live_story, axe_script, failure_screenshots
):
    make_author("Ed Moss", user=editor)  # the form offers the editor's own byline
    article = live_story.article
    # A phone, where the stream fills the screen; axe is injected as an inline script, past the CSP.
    reader = page_factory(bypass_csp=True, viewport={"width": 375, "height": 700})
    desk = page_factory(bypass_csp=True)
    failure_screenshots.watch(reader, "reader")
    failure_screenshots.watch(desk, "desk")

    # The page's clock stands still from the start: its 30-second poll comes only when the test
    # moves the clock on, however long the editor takes.
    start = datetime.now(UTC)
    reader.clock.install(time=start)
    reader.clock.pause_at(start + timedelta(seconds=1))
    reader.goto(article.get_absolute_url())
    expect(reader.locator(".live-status")).to_contain_text("Live Updated as it happens · 2 updates")
    expect(headlines(reader)).to_have_text(["Motorcade reaches the guesthouse", "Envoy lands in Beijing"])
    expect(reader.locator("[data-live-show]")).to_be_hidden()
    reading = reader.locator(".live-update").last
    reading.evaluate("e => e.scrollIntoView()")
    where_before = reading.bounding_box()
    stream_before = reader.locator("[data-live-stream]").inner_text()

    admin_login(desk, live_server, editor.username, PASSWORD)
    desk.goto(CHANGE.format(article.pk))
    desk.get_by_role("link", name="Post an update").click()
    expect(desk).to_have_url(re.compile(rf"/admin/live/liveupdate/add/\?story={article.pk}$"))
    posted = ["Talks begin at the guesthouse", "Ministers break for lunch", "Hotline agreed"]
    assert_no_axe_violations(desk, axe_script, "the form posting an update")
    for headline in posted:
        expect(desk.get_by_label("Publish now: on the page at once")).to_be_checked()
        desk.get_by_label("Headline").fill(headline)
        desk.get_by_label("Body").fill(f"{headline}, our correspondent reports.")
        desk.get_by_role("button", name="Save", exact=True).click()
        # Back to an empty form for the next one (the page just left had the headline filled in).
        expect(desk.get_by_label("Headline")).to_have_value("")
        expect(desk.locator("ul.messagelist")).to_contain_text("on the page now")

    expect(reader.locator("[data-live-show]")).to_be_hidden()  # nothing yet: the poll is not due
    reader.clock.fast_forward("00:31")
    show = reader.get_by_role("button", name="Show 3 new updates")
    expect(show).to_be_visible()
    expect(reader.get_by_role("status")).to_have_text(
        "3 new updates. Use the button above the updates to read them."
    )
    # Nothing has moved under the reader's eyes: the update they were reading stays where it was,
    # and the new ones are not on the page until asked for.
    assert reading.bounding_box()["y"] == pytest.approx(where_before["y"], abs=1)
    assert reader.locator("[data-live-stream]").inner_text() == stream_before
    expect(reader.get_by_text("Hotline agreed")).to_have_count(0)
    reader.clock.resume()  # axe waits on timers of its own
    assert_no_axe_violations(reader, axe_script, "the story with new updates waiting")

    show.click()
    expect(headlines(reader)).to_have_text(
        [*reversed(posted), "Motorcade reaches the guesthouse", "Envoy lands in Beijing"]
    )
    newest = LiveUpdate.objects.get(headline="Hotline agreed")
    expect(reader.locator(f"#update-{newest.pk}")).to_be_focused()
    expect(reader.locator("[data-live-show]")).to_be_hidden()
    expect(reader.get_by_role("status")).to_have_text("New updates shown.")
    expect(reader.locator(".live-status")).to_contain_text("5 updates")
    expect(reader.locator(".live-update__author").first).to_have_text("Ed Moss")
    assert_no_axe_violations(reader, axe_script, "the story after showing the new updates")


def test_without_javascript_the_page_is_whole_and_a_reload_shows_a_new_update(new_context, live_story):
    reader = new_context(java_script_enabled=False).new_page()

    reader.goto(live_story.article.get_absolute_url())

    expect(reader.locator(".live-status")).to_contain_text("Updated as it happens · 2 updates")
    expect(reader.locator(".live-status .live-badge")).to_have_text("Live")
    expect(reader.get_by_role("region", name="Key points").get_by_role("listitem")).to_have_text(
        ["The envoy landed in Beijing on Tuesday.", "Talks on export controls begin at noon."]
    )
    expect(headlines(reader)).to_have_text(["Motorcade reaches the guesthouse", "Envoy lands in Beijing"])
    expect(reader.locator("#live").get_by_role("button")).to_have_count(0)  # none that cannot work

    post(live_story, "Talks begin at the guesthouse")
    reader.reload()

    expect(headlines(reader)).to_have_text(
        ["Talks begin at the guesthouse", "Motorcade reaches the guesthouse", "Envoy lands in Beijing"]
    )
    expect(reader.locator(".live-status")).to_contain_text("3 updates")


def test_a_link_to_an_update_finds_it_on_the_second_page(new_context, live_story):
    first = live_story.updates.get(headline="Envoy lands in Beijing")
    for n in range(UPDATES_PER_PAGE + 5):  # newer ones push the first update onto page 2
        post(live_story, f"Update {n}")
    story_url = live_story.article.get_absolute_url()
    on_page_two = re.compile(rf"{re.escape(story_url)}\?page=2#update-{first.pk}$")

    # An old link to the story's page at the update: the script sends it to the update's page.
    reader = new_context().new_page()
    reader.goto(f"{story_url}#update-{first.pk}")
    expect(reader).to_have_url(on_page_two)
    expect(reader.get_by_role("heading", name="Earlier updates, page 2")).to_be_visible()
    expect(reader.locator(f"#update-{first.pk}")).to_be_in_viewport()
    expect(reader.locator(f"#update-{first.pk}")).to_contain_text("Envoy lands in Beijing")

    # The update's own link needs no script.
    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(first.get_absolute_url())
    expect(plain).to_have_url(on_page_two)
    expect(plain.locator(f"#update-{first.pk}")).to_be_in_viewport()
    expect(plain.locator(f"#update-{first.pk}")).to_contain_text("Envoy lands in Beijing")


def test_an_ended_story_says_so_and_stops_asking_for_updates(page, live_story):
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/api/live/" in request.url else None)
    page.clock.install()
    page.goto(live_story.article.get_absolute_url())

    # The desk ends the coverage while the reader has the page open: the next poll says so.
    live_story.ended_at = timezone.now()
    live_story.save()
    page.clock.run_for("00:31")
    ended = page.get_by_role("button", name="This story has ended: show the final updates")
    expect(ended).to_be_visible()
    assert len(polls) == 1
    ended.click()
    expect(page.locator(".live-status")).to_contain_text("This story has ended: coverage closed")
    expect(page.locator(".live-status .live-badge")).to_have_text("Ended")

    page.clock.run_for("01:00")
    assert len(polls) == 1, "the page went on asking after its story ended"

    # A reader arriving later: the story says it has ended, and its page never asks.
    page.reload()
    expect(page.locator(".live-status")).to_contain_text("This story has ended: coverage closed")
    expect(page.get_by_role("button", name=re.compile("update"))).to_have_count(0)
    page.clock.run_for("01:00")
    assert len(polls) == 1, "an ended story's page asked for updates"
