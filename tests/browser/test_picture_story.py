"""A story's picture from the picture desk to every surface, in a real browser: an editor uploads a
picture, makes it a story's lead and publishes the story; a reader's phone shows it, and the feed,
the JSON-LD and the API carry it, each pointing at files that are really there."""

import re
from urllib.parse import urlsplit

import extruct
import feedparser
import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import Status
from tests.browser.admin_widgets import search_autocomplete
from tests.browser.test_workflow import CHANGE, messages, run_action, sign_in

pytestmark = pytest.mark.usefixtures("media")

SAMPLE_PICTURE = settings.BASE_DIR / "content" / "pictures" / "arrival.jpg"
ALT = "An aircraft on the tarmac at dusk, a small group at the foot of its steps"
CAPTION = "The Secretary of State's aircraft after landing in Beijing."
CREDIT = "Newsroom graphics desk"


def fetch(page, url):
    """GET a file a page, feed or API names, from this test's server whatever origin it was given."""
    response = page.request.get(urlsplit(url).path)
    assert response.status == 200, url
    return response


def test_a_story_published_with_its_picture_carries_it_to_page_feed_json_ld_and_api(
    page, page_factory, live_server, admin_login, failure_screenshots, editor, make_article
):
    story = make_article(
        "Envoy lands in Beijing", status=Status.REVIEW, published_at=None, section="Diplomacy", tags=["China"]
    )
    sign_in(page, live_server, admin_login, failure_screenshots, editor)
    failure_screenshots.watch(page, "admin")

    # The picture desk: upload, with what readers are told about it.
    page.goto("/admin/photos/photo/add/")
    page.locator("#id_upload").set_input_files(SAMPLE_PICTURE)
    page.get_by_label("Alt text").fill(ALT)
    page.get_by_label("Caption").fill(CAPTION)
    page.get_by_label("Credit").fill(CREDIT)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(page)).to_contain_text("was added successfully")

    # The story's lead picture, found by its alt text in the article form.
    page.goto(CHANGE.format(story.pk))
    page.locator(".add-row a", has_text=re.compile("lead image", re.IGNORECASE)).click()
    search_autocomplete(page, "photo", "aircraft").filter(has_text="aircraft on the tarmac").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(messages(page)).to_contain_text("was changed successfully")
    run_action(page, "Envoy lands in Beijing", "Publish now")
    expect(messages(page)).to_contain_text("1 article published.")

    # A reader's phone: the figure, its caption and credit, a phone-sized AVIF, drawn.
    reader = page_factory(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True)
    failure_screenshots.watch(reader, "article")
    reader.goto(story.get_absolute_url())
    figure = reader.locator("figure.story__lead-image")
    expect(figure.get_by_role("img", name=ALT)).to_be_visible()
    expect(figure.locator("figcaption")).to_have_text(f"{CAPTION} {CREDIT}")
    image = figure.locator("img")
    expect(image).to_have_js_property("complete", True)
    # 343 CSS px at 2x: the 960 px AVIF, the narrowest file that fills it.
    drawn = image.evaluate("img => img.currentSrc")
    assert re.search(r"-w960-16x9-[0-9a-f]+\.avif$", drawn), drawn

    # JSON-LD, read by a structured-data parser: the picture in 16:9, 4:3 and 1:1, each ≥ 1,200 px.
    data = extruct.extract(reader.content(), base_url=live_server.url, syntaxes=["json-ld"])["json-ld"]
    (news,) = [item for item in data if item.get("@type") == "NewsArticle"]
    shapes = set()
    for picture in news["image"]:
        assert picture["width"] >= 1200
        shapes.add(round(picture["width"] / picture["height"], 2))
        assert fetch(reader, picture["url"]).headers["content-type"] == "image/jpeg"
    assert shapes == {1.78, 1.33, 1.0}

    # The RSS feed, read by a feed reader: an enclosure of the stated type and length.
    feed = feedparser.parse(reader.request.get("/feeds/latest/").body())
    (entry,) = [e for e in feed.entries if e.title == "Envoy lands in Beijing"]
    (enclosure,) = entry.enclosures
    body = fetch(reader, enclosure.href).body()
    assert enclosure.type == "image/jpeg" and int(enclosure.length) == len(body)

    # The API: the lead image with what readers are told and renditions that exist.
    found = reader.request.get(f"/api/articles/{story.slug}/").json()["lead_image"]
    assert (found["alt"], found["caption"], found["credit"]) == (ALT, CAPTION, CREDIT)
    assert found["renditions"]
    for rendition in found["renditions"][:3]:
        fetch(reader, rendition["url"])
