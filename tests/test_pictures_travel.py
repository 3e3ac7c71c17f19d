"""A story's lead picture goes everywhere the story does: its structured data, RSS and Atom, the
sitemaps and the API. Read back as search engines, feed readers, crawlers and API clients read
them (extruct, feedparser, lxml, json), and checked against the stored files themselves."""

from datetime import timedelta
from urllib.parse import urlsplit

import extruct
import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree
from PIL import Image

from articles.models import Status
from photos.models import Rendition

pytestmark = pytest.mark.usefixtures("media")

SITE = "http://testserver"
RSS, ATOM = "/feeds/latest/", "/feeds/latest/atom/"
FEEDS = [RSS, ATOM, "/feeds/sections/world/", "/feeds/tags/china/"]
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
}
MEDIA_NS = {"media": "http://search.yahoo.com/mrss/"}
# What Google's article rich results ask of a story's images: each ratio, 1,200 px wide or more.
SHARE_SHAPES = {"16x9": 16 / 9, "4x3": 4 / 3, "1x1": 1.0}


@pytest.fixture
def pictured(make_article, make_photo, lead_with):
    """A public story leading with a large picture (2,000 x 1,500), with caption and credit."""
    story = make_article("Envoy lands in Beijing", dek="Talks begin.", tags=["China"])
    photo = make_photo(
        2000,
        1500,
        caption="The envoy & his aide at the airport",
        credit="Ana Ruiz/Desk",
        alt_text="Envoy waves",
    )
    lead_with(story, photo)
    return story


@pytest.fixture
def plain(make_article):
    return make_article("Talks resume without a picture", dek="Day two.", tags=["China"])


@pytest.fixture
def hidden_pictured(make_article, make_photo, lead_with):
    """A draft, a story in review and a scheduled one, each leading with a picture of its own."""
    stories = [
        make_article("Quillwort draft", tags=["China"], status=Status.DRAFT, published_at=None),
        make_article("Marrowfat review", tags=["China"], status=Status.REVIEW, published_at=timezone.now()),
        make_article("Sandgrouse embargo", tags=["China"], published_at=timezone.now() + timedelta(days=1)),
    ]
    for n, story in enumerate(stories):
        lead_with(story, make_photo(640, 480, color=(10 + 60 * n, 200, 90), caption=f"Secret {n}"))
    return stories


def stored_file(media, url):
    """The file behind an absolute media URL, opened as an image: the address must be real."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    path = parts.path.removeprefix("/media/")
    return Image.open(media / path), (media / path).stat().st_size


def hidden_picture_urls(stories):
    """Every stored rendition of the pictures leading ``stories``, as a path on the site."""
    files = Rendition.objects.filter(photo__leads__article__in=stories).values_list("file", flat=True)
    names = [f"/media/{name}" for name in files]
    assert names
    return names


# Structured data


def json_ld_article(client, story):
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    data = extruct.extract(
        response.content.decode(), base_url=SITE + story.get_absolute_url(), syntaxes=["json-ld", "opengraph"]
    )
    [news] = [item for item in data["json-ld"] if item["@type"] == "NewsArticle"]
    return news, data["opengraph"]


def test_json_ld_gives_search_engines_16x9_4x3_and_1x1_at_least_1200_wide(client, pictured, media):
    news, _ = json_ld_article(client, pictured)

    images = news["image"]
    assert [image["@type"] for image in images] == ["ImageObject"] * 3
    for image, (ratio, shape) in zip(images, SHARE_SHAPES.items(), strict=True):
        assert image["width"] >= 1200, ratio
        assert abs(image["width"] / image["height"] - shape) / shape < 0.01, ratio
        assert image["contentUrl"] == image["url"]
        assert image["encodingFormat"] == "image/jpeg"
        assert image["caption"] == "The envoy & his aide at the airport"
        assert image["description"] == "Envoy waves"
        assert image["creditText"] == "Ana Ruiz/Desk"
        # The address is absolute and the file there is the JPEG the markup describes.
        file, _ = stored_file(media, image["url"])
        assert (file.format, file.size) == ("JPEG", (image["width"], image["height"]))


def test_json_ld_and_open_graph_name_the_same_pictures(client, pictured):
    news, opengraph = json_ld_article(client, pictured)
    [og] = opengraph
    og_images = [value for key, value in og["properties"] if key == "og:image"]
    assert og_images == [image["url"] for image in news["image"]]


def test_json_ld_has_no_image_for_a_story_without_a_picture(client, plain):
    news, _ = json_ld_article(client, plain)
    assert "image" not in news


def test_a_picture_smaller_than_1200_px_is_still_shared_just_smaller(
    client, make_article, make_photo, lead_with, media
):
    story = lead_with(make_article("Grainy photo from the summit"), make_photo(800, 600, caption=""))
    news, opengraph = json_ld_article(client, story)

    # Renditions are never enlarged: the crops are as wide as the original allows.
    assert [(image["width"], image["height"]) for image in news["image"]] == [
        (800, 450),
        (800, 600),
        (600, 600),
    ]
    assert "caption" not in news["image"][0]  # an empty caption is left out, not sent empty
    assert [value for key, value in opengraph[0]["properties"] if key == "og:image"] == [
        image["url"] for image in news["image"]
    ]
    entry = feedparser.parse(client.get(RSS).content).entries[0]
    assert entry.media_content[0]["width"] == "800"
    assert stored_file(media, entry.enclosures[0]["href"])[0].size == (800, 450)
    assert client.get(f"/api/articles/{story.slug}/").json()["lead_image"]["width"] == 800


# RSS and Atom


def parse_feed(response):
    assert response.status_code == 200
    feed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def entry_for(feed, story):
    return next(entry for entry in feed.entries if entry.link == SITE + story.get_absolute_url())


@pytest.mark.parametrize("url", FEEDS)
def test_feed_sends_the_picture_as_enclosure_and_media_content(client, pictured, plain, url, media):
    feed = parse_feed(client.get(url))
    entry = entry_for(feed, pictured)

    [enclosure] = entry.enclosures
    file, size = stored_file(media, enclosure["href"])
    # The 16:9 JPEG at 1,200 px, its stated length its true size in bytes.
    assert (file.format, file.size) == ("JPEG", (1200, 675))
    assert (enclosure["type"], enclosure["length"]) == ("image/jpeg", str(size))

    [content] = entry.media_content
    assert content == {
        "url": enclosure["href"],
        "medium": "image",
        "type": "image/jpeg",
        "width": "1200",
        "height": "675",
        "filesize": str(size),
    }
    assert entry.media_credit == [{"content": "Ana Ruiz/Desk"}]
    # The story's own summary and body are untouched by the picture's description.
    assert entry.summary == "Talks begin."
    assert len(entry.content) == 1 and "The body of story" in entry.content[0].value

    other = entry_for(feed, plain)
    assert other.enclosures == []
    assert "media_content" not in other


@pytest.mark.parametrize("url", [RSS, ATOM])
def test_media_description_is_the_caption_in_the_media_rss_namespace(client, pictured, url):
    raw = client.get(url).content
    root = etree.fromstring(raw)
    [description] = root.xpath("//media:content/media:description", namespaces=MEDIA_NS)
    assert description.text == "The envoy & his aide at the airport"
    assert description.get("type") == "plain"
    assert raw.count(b'xmlns:media="http://search.yahoo.com/mrss/"') == 1


def test_a_picture_without_caption_is_described_by_its_alt_text(client, make_article, make_photo, lead_with):
    lead_with(make_article("Envoy lands"), make_photo(2000, 1500, caption="", alt_text="Envoy on the tarmac"))
    root = etree.fromstring(client.get(RSS).content)
    assert root.xpath("//media:description/text()", namespaces=MEDIA_NS) == ["Envoy on the tarmac"]


# Sitemaps


def sitemap_images(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    return {
        node.findtext("sm:loc", namespaces=SITEMAP_NS): node.xpath(
            "image:image/image:loc/text()", namespaces=SITEMAP_NS
        )
        for node in root.findall("sm:url", SITEMAP_NS)
    }


@pytest.mark.parametrize("url", ["/sitemap-articles.xml", "/news-sitemap.xml"])
def test_sitemaps_name_each_story_picture_with_the_image_extension(client, pictured, plain, url, media):
    found = sitemap_images(client, url)
    assert found[SITE + plain.get_absolute_url()] == []
    [image] = found[SITE + pictured.get_absolute_url()]
    file, _ = stored_file(media, image)
    # The widest 16:9 JPEG, the story page's own crop.
    assert (file.format, file.size) == ("JPEG", (1440, 810))


def test_sections_and_tags_sitemaps_carry_no_images(client, pictured):
    for url in ["/sitemap-sections.xml", "/sitemap-tags.xml"]:
        assert all(images == [] for images in sitemap_images(client, url).values())


# The API


def test_api_list_gives_each_story_its_picture_with_one_jpeg_per_share_ratio(client, pictured, plain, media):
    results = {card["slug"]: card for card in client.get("/api/articles/").json()["results"]}
    assert results[plain.slug]["lead_image"] is None

    image = results[pictured.slug]["lead_image"]
    assert {key: image[key] for key in ("alt", "caption", "credit", "width", "height")} == {
        "alt": "Envoy waves",
        "caption": "The envoy & his aide at the airport",
        "credit": "Ana Ruiz/Desk",
        "width": 2000,
        "height": 1500,
    }
    shapes = [(r["ratio"], r["format"], r["type"], r["width"], r["height"]) for r in image["renditions"]]
    assert shapes == [
        ("16x9", "jpeg", "image/jpeg", 1440, 810),
        ("4x3", "jpeg", "image/jpeg", 1200, 900),
        ("1x1", "jpeg", "image/jpeg", 1200, 1200),
    ]
    for rendition in image["renditions"]:
        assert stored_file(media, rendition["url"])[0].size == (rendition["width"], rendition["height"])


def test_api_article_lists_every_rendition_in_every_format(client, pictured, media):
    image = client.get(f"/api/articles/{pictured.slug}/").json()["lead_image"]
    renditions = image["renditions"]
    assert {r["format"] for r in renditions} == {"jpeg", "webp", "avif"}
    assert {r["ratio"] for r in renditions} == {"16x9", "4x3", "1x1"}
    widths = sorted({r["width"] for r in renditions if r["ratio"] == "16x9"})
    assert widths == [480, 960, 1200, 1440]
    for rendition in renditions:
        file, _ = stored_file(media, rendition["url"])
        assert file.size == (rendition["width"], rendition["height"])
        assert rendition["type"] == f"image/{rendition['format']}"
    assert client.get(f"/api/articles/{pictured.slug}/").json()["slug"] == pictured.slug


def test_openapi_schema_documents_the_lead_image(client, db):
    schema = client.get("/api/openapi.json").json()
    schemas = schema["components"]["schemas"]
    card_image = schemas["ArticleCard"]["properties"]["lead_image"]
    assert {"$ref": "#/components/schemas/LeadImageOut"} in card_image["anyOf"]
    assert {"type": "null"} in card_image["anyOf"]
    assert set(schemas["LeadImageOut"]["required"]) == {
        "alt",
        "caption",
        "credit",
        "width",
        "height",
        "renditions",
    }
    assert set(schemas["RenditionOut"]["properties"]) == {"url", "width", "height", "format", "type", "ratio"}
    assert schemas["RenditionOut"]["properties"]["url"]["format"] == "uri"


# Nothing unpublished


def test_pictures_of_unpublished_stories_appear_on_no_public_surface(client, pictured, hidden_pictured):
    secret = hidden_picture_urls(hidden_pictured)
    surfaces = [*FEEDS, "/sitemap-articles.xml", "/news-sitemap.xml", "/api/articles/"]
    surfaces += ["/api/articles/?tag=china", "/api/articles/?q=secret"]
    for url in surfaces:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "/media/" in body or url.endswith("q=secret"), url  # the public story's picture is there
        assert not [name for name in secret if name in body], url
        assert "Secret" not in body, url
    for story in hidden_pictured:
        assert client.get(f"/api/articles/{story.slug}/").status_code == 404


# Query counts: fixed whatever the number of pictures


def lead_every(stories, make_photo, lead_with):
    """Two pictures among ``stories``, so some share one and some do not (small ones: only their
    number matters here)."""
    photos = [make_photo(640, 480, color=(40, 80, 120)), make_photo(640, 480, color=(120, 80, 40))]
    for n, story in enumerate(stories):
        lead_with(story, photos[n % 2])


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("url", [RSS, ATOM])
def test_feed_query_count_is_the_same_with_none_or_fifty_pictures(
    client, make_article, make_photo, lead_with, url
):
    stories = [make_article(tags=["China"]) for _ in range(50)]
    without, response = count_queries(client, url)
    assert all(entry.enclosures == [] for entry in parse_feed(response).entries)

    lead_every(stories, make_photo, lead_with)
    pictured, response = count_queries(client, url)
    entries = parse_feed(response).entries
    assert len(entries) == 50 and all(len(entry.enclosures) == 1 for entry in entries)
    # The articles, each with its card (bylines, tags, picture).
    assert without == pictured == 1


@pytest.mark.parametrize(("url", "expected"), [("/sitemap-articles.xml", 2), ("/news-sitemap.xml", 2)])
def test_sitemap_query_count_is_the_same_with_none_or_thirty_pictures(
    client, make_article, make_photo, lead_with, url, expected
):
    stories = [make_article() for _ in range(30)]
    without, response = count_queries(client, url)
    assert b"image:loc" not in response.content

    lead_every(stories, make_photo, lead_with)
    pictured, response = count_queries(client, url)
    assert all(len(images) == 1 for images in sitemap_images(client, url).values())
    assert without == pictured == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/articles/", 2),  # count, page (cards carry bylines, tags, pictures)
        ("/api/articles/?q=story", 3),  # count, ranked ids, articles
        ("ARTICLE", 1),  # the article with its card
    ],
)
def test_api_query_count_is_the_same_with_none_or_twenty_pictures(
    client, make_article, make_photo, lead_with, url, expected
):
    stories = [
        make_article(f"Story {n}", tags=["China", "Trade"], authors=["Ana Ruiz", "Li Wei"]) for n in range(20)
    ]
    url = f"/api/articles/{stories[-1].slug}/" if url == "ARTICLE" else url
    without, response = count_queries(client, url)
    lead_every(stories, make_photo, lead_with)
    pictured, response = count_queries(client, url)
    data = response.json()
    cards = data.get("results", [data])
    assert cards and all(card["lead_image"]["renditions"] for card in cards)
    assert without == pictured == expected


# The page cache


@pytest.mark.django_db(transaction=True)
def test_changing_a_picture_changes_cached_feeds_and_api_at_once(
    client, shared_cache, make_article, make_photo, lead_with, media
):
    story = lead_with(make_article("Envoy lands"), make_photo(2000, 1500, caption="At the airport"))
    api = f"/api/articles/{story.slug}/"
    for url in (RSS, api):
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit", url

    # An editor rewrites the caption: readers of the feed and the API see it on their next request.
    photo = story.lead_image.photo
    photo.caption = "At the airport, before the talks"
    photo.save()
    root = etree.fromstring(client.get(RSS).content)
    assert root.xpath("//media:description/text()", namespaces=MEDIA_NS) == [
        "At the airport, before the talks"
    ]
    assert client.get(api).json()["lead_image"]["caption"] == "At the airport, before the talks"

    # Then chooses another picture altogether.
    old = parse_feed(client.get(RSS)).entries[0].enclosures[0]["href"]
    lead_with(story, make_photo(1600, 1200, color=(200, 30, 30), caption="The handshake"))
    new = parse_feed(client.get(RSS)).entries[0].enclosures[0]["href"]
    assert new != old
    assert stored_file(media, new)[0].size == (1200, 675)
    card = client.get("/api/articles/").json()["results"][0]
    assert card["lead_image"]["caption"] == "The handshake"
    assert card["lead_image"]["width"] == 1600
