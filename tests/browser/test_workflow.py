"""The editorial workflow in a real browser: a reporter files for review, an editor previews and
publishes, two editors collide, a correction goes out, a story comes down. Readers check every step."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article, Status
from tests.browser.admin_widgets import search_autocomplete
from tests.conftest import PASSWORD

CHANGELIST = "/admin/articles/article/"
CHANGE = "/admin/articles/article/{}/change/"


def sign_in(page, live_server, admin_login, failure_screenshots, user):
    """Log in through the form and keep a picture of the admin index, for the failure report."""
    admin_login(page, live_server, user.username, PASSWORD)
    failure_screenshots.capture(page, f"admin-index-{user.username}")


def changelist_row(page, headline):
    return page.locator("#result_list tbody tr", has_text=headline)


def run_action(page, headline, action):
    """Tick the story on the changelist and apply a bulk action to it, as an editor does."""
    page.goto(CHANGELIST)
    changelist_row(page, headline).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def messages(page):
    return page.locator("ul.messagelist")


def backdate(article, *, created, updated):
    """Make the story old news: written and last saved long before this test."""
    Article.objects.filter(pk=article.pk).update(created_at=created, updated_at=updated)


def test_reporter_files_a_story_for_review_and_has_no_way_to_publish_it(
    page, live_server, admin_login, failure_screenshots, reporter, make_section
):
    diplomacy = make_section("Diplomacy")
    sign_in(page, live_server, admin_login, failure_screenshots, reporter)
    failure_screenshots.watch(page, "article-page")  # the reporter's admin page for the story

    page.goto("/admin/articles/article/add/")
    # Typed key by key, so the admin's prepopulate script sees it as a person typing.
    page.locator("#id_headline").press_sequentially("Envoy lands in Beijing")
    expect(page.locator("#id_slug")).to_have_value("envoy-lands-in-beijing")
    page.locator("#id_dek").fill("Talks on tariffs resume next week.")
    page.locator("#id_body").fill("The envoy arrived on Tuesday.\n\nTalks begin on Monday.")
    search_autocomplete(page, "section", "Diplo").filter(has_text="Diplomacy").click()
    expect(page.locator("#id_section")).to_have_value(str(diplomacy.pk))
    expect(page.locator("#story-state")).to_have_text("New story, not saved yet")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#action-confirmation")).to_contain_text("Saved as a draft: not on the site.")
    page.get_by_role("button", name="Confirm").click()

    expect(messages(page)).to_contain_text("Saved as a draft: not on the site.")
    expect(page.locator("#story-state")).to_have_text("Draft")
    article = Article.objects.get(slug="envoy-lands-in-beijing")
    assert (article.status, article.created_by) == (Status.DRAFT, reporter)

    page.get_by_role("button", name="Send to review").click()
    expect(page.locator("#action-confirmation")).to_contain_text("Goes to the review queue")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#story-state")).to_have_text("In review")
    # The reporter is offered no way to publish, schedule or unpublish.
    for editors_only in ["Publish now", "Schedule…", "Unpublish"]:
        expect(page.get_by_role("button", name=editors_only)).to_have_count(0)

    page.goto(CHANGELIST)
    expect(changelist_row(page, "Envoy lands in Beijing").locator("td.field-state")).to_have_text("In review")
    actions = page.locator("select[name=action]")
    expect(actions.locator("option", has_text="Send to review")).to_have_count(1)
    for editors_only in ["Publish now", "Schedule…", "Unpublish (back to draft)"]:
        expect(actions.locator("option", has_text=editors_only)).to_have_count(0)
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Status.REVIEW, None)


def test_editor_previews_a_story_in_review_publishes_it_and_readers_find_it(
    page, page_factory, live_server, admin_login, failure_screenshots, editor, make_article
):
    article = make_article(
        "Envoy lands in Beijing", status=Status.REVIEW, published_at=None, section="Diplomacy", tags=["China"]
    )
    reader = page_factory()
    failure_screenshots.watch(reader, "article-page")
    assert reader.goto(article.get_absolute_url()).status == 404  # not out yet
    sign_in(page, live_server, admin_login, failure_screenshots, editor)

    # The desk's index lists what waits for review; the editor opens the story from there.
    page.get_by_role("table", name="In review").get_by_role("link", name="Envoy lands in Beijing").click()
    expect(page).to_have_url(re.compile(re.escape(CHANGE.format(article.pk)) + r"$"))
    with page.context.expect_page() as opened:
        page.locator("a#preview-link").click()
    preview = opened.value
    expect(preview.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")
    expect(preview.get_by_text("Preview — not published")).to_be_visible()
    # Back to the admin tab: Chromium throttles a background tab, and the action's page load took seconds.
    page.bring_to_front()

    run_action(page, "Envoy lands in Beijing", "Publish now")

    expect(messages(page)).to_contain_text("1 article published.")
    expect(changelist_row(page, "Envoy lands in Beijing").locator("td.field-state")).to_have_text("Published")
    for listing in ["/articles/", "/tags/china/", "/sections/diplomacy/"]:
        reader.goto(listing)
        expect(reader.get_by_role("link", name="Envoy lands in Beijing"), listing).to_be_visible()
    reader.get_by_role("link", name="Envoy lands in Beijing").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")
    expect(reader.get_by_text("Preview — not published")).to_have_count(0)


def test_second_editor_saving_a_stale_copy_is_refused_and_keeps_the_typing(
    page_factory, live_server, admin_login, failure_screenshots, editor, make_user, make_article
):
    article = make_article("Envoy lands in Beijing", dek="Talks resume next week.")
    ana = make_user("ana", "Editor", first_name="Ana", last_name="Ruiz")
    ed_page, ana_page = page_factory(), page_factory()
    sign_in(ed_page, live_server, admin_login, failure_screenshots, editor)
    sign_in(ana_page, live_server, admin_login, failure_screenshots, ana)
    failure_screenshots.watch(ed_page, "article-page")
    failure_screenshots.watch(ana_page, "article-page-ana")
    ed_page.goto(CHANGE.format(article.pk))
    ana_page.goto(CHANGE.format(article.pk))

    ana_page.locator("#id_headline").fill("Envoy arrives in Beijing")
    ana_page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(ana_page)).to_contain_text("was changed successfully")

    ed_page.locator("#id_dek").fill("Ed's rewrite: talks resume on Monday.")
    ed_page.get_by_role("button", name="Save", exact=True).click()

    refusal = ed_page.locator("ul.errorlist.nonfield")
    expect(refusal).to_contain_text("This article was changed by Ana Ruiz at")
    expect(refusal).to_contain_text("since you opened it")
    expect(ed_page.locator("#id_dek")).to_have_value("Ed's rewrite: talks resume on Monday.")
    stored = Article.objects.get(pk=article.pk)
    assert (stored.headline, stored.dek) == ("Envoy arrives in Beijing", "Talks resume next week.")


def test_editor_adds_a_correction_and_readers_see_it_with_an_updated_time(
    page, page_factory, live_server, admin_login, failure_screenshots, editor, make_article
):
    published = timezone.now() - timedelta(days=1)
    article = make_article("Envoy lands in Beijing", published_at=published)
    backdate(article, created=published - timedelta(hours=1), updated=published)
    reader = page_factory()
    failure_screenshots.watch(reader, "article-page")
    reader.goto(article.get_absolute_url())
    expect(reader.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")
    expect(reader.locator(".story__times")).not_to_contain_text("Updated")
    expect(reader.locator(".corrections")).to_have_count(0)

    sign_in(page, live_server, admin_login, failure_screenshots, editor)
    page.goto(CHANGE.format(article.pk))
    page.get_by_role("button", name="Add another Correction").click()
    page.locator("textarea[name=corrections-0-text]").fill("An earlier version misstated the envoy's title.")
    page.locator("input[name=corrections-0-date_0]").fill("2026-01-15")
    page.locator("input[name=corrections-0-date_1]").fill("09:30:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(page)).to_contain_text("was changed successfully")

    reader.goto(article.get_absolute_url())
    corrections = reader.get_by_role("complementary", name="Correction")
    expect(corrections).to_contain_text("An earlier version misstated the envoy's title.")
    expect(corrections.locator("time")).to_have_text("15 January 2026")
    expect(reader.locator(".story__times")).to_contain_text("Updated")


def test_unpublished_story_is_gone_for_readers_at_once(
    page, page_factory, live_server, admin_login, failure_screenshots, editor, make_article
):
    make_article("Ceasefire holds")
    article = make_article("Envoy lands in Beijing")
    url = article.get_absolute_url()
    reader = page_factory()
    failure_screenshots.watch(reader, "article-page")
    assert reader.goto(url).status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text("Envoy lands in Beijing")
    sign_in(page, live_server, admin_login, failure_screenshots, editor)

    run_action(page, "Envoy lands in Beijing", "Unpublish (back to draft)")

    expect(messages(page)).to_contain_text("1 article unpublished.")
    expect(changelist_row(page, "Envoy lands in Beijing").locator("td.field-state")).to_have_text("Draft")
    assert reader.goto(url).status == 404
    expect(reader.get_by_text("Envoy lands in Beijing")).to_have_count(0)
    reader.goto("/articles/")
    # The public story shows first, so the list has rendered when the unpublished one is looked for.
    expect(reader.get_by_role("link", name="Ceasefire holds")).to_be_visible()
    expect(reader.get_by_role("link", name="Envoy lands in Beijing")).to_have_count(0)
