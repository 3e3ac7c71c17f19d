"""A picture is the heaviest thing on a page: an article leading with one still moves at most 150 KiB
to a phone, the phone gets a phone-sized modern file, and nothing shifts when it arrives."""

import re

import pytest
from django.conf import settings

from photos.library import add_photo
from photos.models import LeadImage
from tests.browser.test_page_weight import BODY, first_load

pytestmark = pytest.mark.usefixtures("media")

BUDGET_BYTES = 150 * 1024
# One of the sample coverage's pictures: 2,000 px, with a film grain that compresses like a photograph.
SAMPLE_PICTURE = settings.BASE_DIR / "content" / "pictures" / "arrival.jpg"


@pytest.fixture
def pictured_story(make_article):
    article = make_article(
        "Envoy lands in Beijing for talks on trade and security",
        authors=["Ana Ruiz", "Li Wei"],
        tags=["China", "Trade"],
        dek="The visit comes as tensions rise over export controls, tariffs and the flow of fentanyl.",
        body=BODY,
    )
    with SAMPLE_PICTURE.open("rb") as file:
        photo = add_photo(
            file, alt_text="An aircraft on the tarmac at dusk", credit="Newsroom graphics desk",
            caption="The aircraft on the apron after landing.",
        )  # fmt: skip
    LeadImage.objects.create(article=article, photo=photo)
    return article


def _width(url):
    return int(re.search(r"-w(\d+)-", url)[1])


@pytest.mark.parametrize("scale", [2, 3])
def test_a_phone_gets_the_article_and_its_picture_in_150_kib(new_context, pictured_story, scale):
    phone = new_context(viewport={"width": 375, "height": 812}, device_scale_factor=scale, is_mobile=True)
    page = phone.new_page()
    loads = first_load(page, pictured_story.get_absolute_url())

    summary = "\n".join(f"  {kind:10} {size:7} B  {url}" for url, kind, size, _ in loads)
    total = sum(size for _, _, size, _ in loads)
    print(f"\nArticle and lead picture at 375 px, x{scale}: {len(loads)} requests, {total} bytes\n{summary}")
    assert total <= BUDGET_BYTES, summary
    images = [(url, response) for url, kind, _, response in loads if kind == "image"]
    assert len(images) == 1, summary  # the lead picture and nothing else (the icon is SVG)
    url, response = images[0]
    assert response.headers["content-type"] == "image/avif"
    # The narrowest file that fills the phone's screen at its pixel density: not the 1,440 px one.
    assert _width(url) >= 343 * scale * 0.9 and _width(url) <= 1200, url
    assert "immutable" in response.headers["cache-control"]
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shifts") == []


def test_the_lead_picture_is_drawn_at_its_own_shape_without_a_shift(new_context, pictured_story):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    loads = first_load(page, pictured_story.get_absolute_url())
    image = page.locator(".story__lead-image img")
    box = image.bounding_box()
    assert abs(box["width"] / box["height"] - 16 / 9) < 0.02
    assert page.evaluate("document.querySelector('.story__lead-image img').complete")
    assert page.evaluate("window.__shifts") == []
    (url,) = [url for url, kind, _, _ in loads if kind == "image"]
    assert _width(url) in (960, 1200, 1440)
