"""Every absolute URL comes from NEWSROOM_SITE_URL, never from the request's Host header.

`Host: 127.0.0.1:6666` passes the allowed-hosts check (Django ignores the port), and the page cache
key leaves the host out: one such request used to store pages whose canonical link, og:url,
JSON-LD and feed links pointed at the attacker's host, for every reader after.
"""

import json

import feedparser
import pytest
from lxml import etree

from articles.models import Correction

# Pages of the articles sitemap are id ranges: stories numbered from 1 on both databases.
pytestmark = pytest.mark.usefixtures("article_ids_from_one")

ORIGIN = "https://news.example.org"
HOSTILE = {
    "HTTP_HOST": "127.0.0.1:6666",
    "HTTP_X_FORWARDED_HOST": "evil.example",
    "HTTP_X_FORWARDED_PROTO": "http",
}
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def site(settings, make_article):
    settings.NEWSROOM_SITE_URL = ORIGIN
    story = make_article("Envoy lands in Beijing", tags=["China"], dateline="BEIJING", slug="envoy-lands")
    Correction.objects.create(article=story, text="An earlier version misspelt a name.")
    return story


PUBLIC_URLS = [
    "/",
    "/articles/",
    "/articles/?tag=china",
    "/articles/envoy-lands/",
    "/sections/world/",
    "/tags/",
    "/tags/china/",
    "/authors/ana-ruiz/",
    "/search/?q=envoy",
    "/feeds/latest/",
    "/feeds/latest/atom/",
    "/feeds/sections/world/",
    "/feeds/tags/china/",
    "/sitemap.xml",
    "/sitemap-articles.xml",
    "/sitemap-sections.xml",
    "/sitemap-tags.xml",
    "/news-sitemap.xml",
    "/robots.txt",
    "/api/articles/",
    "/api/articles/envoy-lands/",
    "/api/sections/",
    "/api/tags/",
    "/api/openapi.json",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_no_public_url_carries_the_requested_host(client, site, url):
    response = client.get(url, **HOSTILE)
    assert response.status_code == 200
    text = response.content.decode() + " ".join(f"{k}: {v}" for k, v in response.items())
    # The host as a client wrote it; a bare "6666" would also match a timestamp's microseconds.
    assert "127.0.0.1" not in text
    assert "evil.example" not in text


def test_article_page_links_point_at_the_site_origin(client, site):
    page = client.get("/articles/envoy-lands/", **HOSTILE).content.decode()
    tree = etree.HTML(page)
    expected = f"{ORIGIN}/articles/envoy-lands/"
    assert tree.xpath("//link[@rel='canonical']/@href") == [expected]
    assert tree.xpath("//meta[@property='og:url']/@content") == [expected]
    (news_article, breadcrumbs) = [
        json.loads(block) for block in tree.xpath("//script[@type='application/ld+json']/text()")
    ]
    assert news_article["url"] == expected
    assert news_article["publisher"]["url"] == f"{ORIGIN}/"
    assert all(item["item"].startswith(ORIGIN) for item in breadcrumbs["itemListElement"])


def test_feeds_and_sitemaps_use_the_site_origin(client, site):
    feed = feedparser.parse(client.get("/feeds/latest/atom/", **HOSTILE).content)
    assert feed.feed.link == f"{ORIGIN}/"
    (entry,) = feed.entries
    assert entry.link == f"{ORIGIN}/articles/envoy-lands/"
    assert entry.id.startswith("tag:news.example.org,")
    assert entry.authors[0].href == f"{ORIGIN}/authors/ana-ruiz/"
    index = etree.fromstring(client.get("/sitemap.xml", **HOSTILE).content)
    locations = index.xpath("//sm:loc/text()", namespaces=SITEMAP_NS)
    assert locations and all(loc.startswith(f"{ORIGIN}/sitemap-") for loc in locations)
    urls = etree.fromstring(client.get("/sitemap-articles.xml", **HOSTILE).content)
    assert urls.xpath("//sm:loc/text()", namespaces=SITEMAP_NS) == [f"{ORIGIN}/articles/envoy-lands/"]
    robots = client.get("/robots.txt", **HOSTILE).content.decode()
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in robots


def test_api_links_use_the_site_origin(client, site, make_article):
    for n in range(21):
        make_article(f"Filler {n}")
    listing = client.get("/api/articles/", **HOSTILE).json()
    assert listing["next"] == f"{ORIGIN}/api/articles/?page=2"
    assert all(card["url"].startswith(f"{ORIGIN}/articles/") for card in listing["results"])


@pytest.mark.django_db(transaction=True)
def test_a_poisoned_request_cannot_plant_a_page_in_the_shared_cache(client, shared_cache, site):
    """The attack as the audit ran it: a hostile Host right after a change, then every reader."""
    first = client.get("/articles/envoy-lands/", **HOSTILE)
    assert first["X-Cache"] == "miss"
    reader = client.get("/articles/envoy-lands/")
    assert reader["X-Cache"] == "hit"
    page = reader.content.decode()
    assert "127.0.0.1" not in page
    assert f'<link rel="canonical" href="{ORIGIN}/articles/envoy-lands/">' in page
    feed = client.get("/feeds/latest/", **HOSTILE)
    assert "127.0.0.1" not in client.get("/feeds/latest/").content.decode()
    assert feed.status_code == 200


def test_site_url_defaults_to_the_first_allowed_host_over_http(monkeypatch):
    from newsroom import settings as project_settings

    monkeypatch.delenv("NEWSROOM_SITE_URL", raising=False)
    monkeypatch.setattr(project_settings, "ALLOWED_HOSTS", ["news.example.org", "localhost"])
    assert project_settings._site_url() == "http://news.example.org"
    monkeypatch.setattr(project_settings, "ALLOWED_HOSTS", [".example.org"])
    assert project_settings._site_url() == "http://example.org"


@pytest.mark.parametrize(
    "value", ["news.example.org", "ftp://news.example.org", "https://x.org/news", "https://"]
)
def test_a_site_url_that_is_not_an_origin_is_refused_at_start(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from newsroom import settings as project_settings

    monkeypatch.setenv("NEWSROOM_SITE_URL", value)
    with pytest.raises(ImproperlyConfigured, match="NEWSROOM_SITE_URL"):
        project_settings._site_url()
