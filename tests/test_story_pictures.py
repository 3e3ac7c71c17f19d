"""Stories' lead pictures on the public pages: the article's figure, the cards' thumbnails, the
share card, and what a reader's browser is told so it fetches the right file at the right time."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from articles.models import Status
from photos.models import LeadImage

pytestmark = pytest.mark.usefixtures("media")


class Elements(HTMLParser):
    """Every element of a page with its attributes, in document order."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, tag, **match):
        return [a for t, a in self.found if t == tag and all(m in (a.get(k) or "") for k, m in match.items())]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def srcset_widths(srcset):
    return [int(width) for width in re.findall(r" (\d+)w", srcset)]


@pytest.fixture
def pictured_story(make_article, make_photo, lead_with):
    texts = {"alt_text": "The envoy on the tarmac", "caption": "Arrival at dusk.", "credit": "Li Wei/Desk"}
    photo = make_photo(width=2000, height=1500, **texts)
    return lead_with(make_article("Envoy lands in Beijing", tags=["China"]), photo)


def test_the_article_leads_with_its_picture_caption_and_credit(client, pictured_story):
    html = page(client, pictured_story.get_absolute_url())
    figure = html[html.index('<figure class="story__lead-image">') : html.index("</figure>")]
    assert "Arrival at dusk." in figure and "Li Wei/Desk" in figure
    elements = Elements(figure)
    sources = elements.all("source")
    assert [s["type"] for s in sources] == ["image/avif", "image/webp"]
    for source in sources:
        assert srcset_widths(source["srcset"]) == [480, 960, 1200, 1440]
        assert "46rem" in source["sizes"]
    (img,) = elements.all("img")
    assert img["alt"] == "The envoy on the tarmac"
    # Its box is known before it arrives (16:9) and it is the page's first fetch, never lazy.
    assert int(img["width"]) * 9 == int(img["height"]) * 16
    assert img["fetchpriority"] == "high" and "loading" not in img
    assert img["src"].endswith(".jpg")
    assert client.get(img["src"]).status_code == 200
    # The picture comes before the body text, after the headline.
    assert html.index("story__headline") < html.index("story__lead-image") < html.index("story__body")


def test_the_share_card_is_the_picture_in_three_shapes(client, pictured_story):
    elements = Elements(page(client, pictured_story.get_absolute_url()))
    metas = {}
    for attrs in elements.all("meta"):
        key = attrs.get("property") or attrs.get("name")
        metas.setdefault(key, []).append(attrs.get("content"))
    sizes = zip(metas["og:image:width"], metas["og:image:height"], strict=True)
    shapes = {(int(w), int(h)) for w, h in sizes}
    assert {round(w / h, 2) for w, h in shapes} == {1.78, 1.33, 1.0}
    assert all(w >= 1200 for w, _ in shapes)
    assert all(url.startswith("http://testserver/media/photos/") for url in metas["og:image"])
    assert metas["og:image:alt"] == ["The envoy on the tarmac"] * 3
    assert metas["twitter:card"] == ["summary_large_image"]
    assert metas["twitter:image:alt"] == ["The envoy on the tarmac"]


def test_a_story_without_a_picture_has_a_plain_card_and_no_image_tags(client, make_article):
    html = page(client, make_article("No picture today").get_absolute_url())
    assert "<picture>" not in html and "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_the_front_page_fetches_the_top_storys_picture_first_and_the_rest_lazily(
    client, make_article, make_photo, lead_with
):
    photo = make_photo()
    top = lead_with(make_article("Top story", featured=True, section="Asia"), photo)
    for n in range(3):
        lead_with(make_article(f"Section story {n}", section="World"), photo)
    html = page(client, "/")
    images = Elements(html).all("img")
    assert len(images) == 4
    first, *others = images
    assert html.index("<img") > html.index(top.headline) - 400  # the lead card's own picture
    assert first["fetchpriority"] == "high" and "loading" not in first
    assert all(img["loading"] == "lazy" and "fetchpriority" not in img for img in others)
    # Cards are links by their headline: the picture beside it adds no second announcement.
    assert all(img["alt"] == "" for img in images)
    assert all(img["width"] and img["height"] for img in images)
    # The top story's is 16:9, the section cards' 4:3.
    ratios = [round(int(img["width"]) / int(img["height"]), 2) for img in images]
    assert ratios == [1.78, 1.33, 1.33, 1.33]


@pytest.mark.parametrize("url", ["/articles/", "/tags/china/", "/sections/world/", "/search/?q=envoy"])
def test_list_cards_show_a_small_lazy_thumbnail(client, pictured_story, make_article, url):
    make_article("Envoy meets no one", tags=["China"])  # no picture
    html = page(client, url)
    (img,) = Elements(html).all("img")
    assert img["loading"] == "lazy" and img["alt"] == ""
    assert srcset_widths(img["srcset"])[0] == 320  # a phone's thumbnail is the smallest file
    assert html.count('class="card__media"') == 1


def test_a_drafts_picture_is_on_no_public_page(client, make_article, make_photo, lead_with):
    photo = make_photo()
    draft = lead_with(make_article("Secret trip", status=Status.DRAFT, published_at=None), photo)
    for url in ["/", "/articles/", "/search/?q=secret"]:
        assert "<picture>" not in page(client, url)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_choosing_a_picture_for_a_public_story_retires_its_cached_page(
    client, settings, make_article, make_photo, lead_with
):
    settings.NEWSROOM_PAGE_CACHE = True
    story = make_article("Envoy lands in Beijing")
    url = story.get_absolute_url()
    assert "<picture>" not in page(client, url)
    assert client.get(url)["X-Cache"] == "hit"
    lead_with(story, make_photo())
    assert "<picture>" in page(client, url)
    photo = story.lead_image.photo
    photo.caption = "A new caption from the picture desk."
    photo.save()
    assert "A new caption from the picture desk." in page(client, url)
    LeadImage.objects.filter(article=story).delete()
    assert "<picture>" not in page(client, url)


@pytest.mark.django_db
def test_the_sample_coverage_has_a_photograph_per_story(client):
    call_command("load_sample_content", verbosity=0)
    call_command("load_sample_pictures", verbosity=0)
    call_command("load_sample_pictures", verbosity=0)  # again, as on every deploy: nothing doubles
    assert LeadImage.objects.count() == 2
    from articles.models import Article

    for story in Article.objects.published():
        html = page(client, story.get_absolute_url())
        (img,) = Elements(html[html.index("story__lead-image") :]).all("img")[:1]
        assert img["alt"].startswith("Illustration:")
        assert client.get(img["src"]).status_code == 200
