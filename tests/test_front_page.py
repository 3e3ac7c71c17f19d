"""The front page: a top story, the latest list, a block per section."""

import re
from datetime import timedelta

from django.test import RequestFactory
from django.utils import timezone

from articles.models import Section
from articles.views import server_error


def blocks(page):
    """Section name -> headlines in that section's block, in order."""
    found = {}
    for name, body in re.findall(
        r'class="block-heading"><a href="/sections/[^"]+/">([^<]+)</a></h2>(.*?)</section>', page, re.S
    ):
        found[name] = re.findall(r'class="card__headline"><a href="[^"]+">([^<]+)</a>', body)
    return found


def lead(page):
    return re.search(
        r'aria-label="Top story">.*?class="card__headline"><a href="[^"]+">([^<]+)</a>', page, re.S
    )[1]


def test_newest_story_leads_when_none_is_featured(client, make_article):
    make_article("Older", published_at=timezone.now() - timedelta(days=2))
    make_article("Newest", published_at=timezone.now() - timedelta(minutes=5))
    assert lead(client.get("/").content.decode()) == "Newest"


def test_featured_story_leads(client, make_article):
    make_article("Featured analysis", featured=True, published_at=timezone.now() - timedelta(days=1))
    make_article("Newest", published_at=timezone.now() - timedelta(minutes=5))
    page = client.get("/").content.decode()
    assert lead(page) == "Featured analysis"
    assert "Newest" in page


def test_a_block_per_section_in_navigation_order(client, make_article, make_section):
    make_section("Asia", position=2)
    make_section("Europe", position=1)
    for n in range(6):
        make_article(f"Asia {n}", section="Asia", published_at=timezone.now() - timedelta(hours=n + 1))
    make_article("Europe 0", section="Europe")
    page = client.get("/").content.decode()
    found = blocks(page)
    assert list(found) == ["Europe", "Asia"]
    assert found["Asia"] == ["Asia 1", "Asia 2", "Asia 3", "Asia 4"]  # Asia 0 leads the page
    assert found["Europe"] == ["Europe 0"]


def test_navigation_lists_sections_in_order(client, make_section, db):
    make_section("Asia", position=2)
    make_section("Europe", position=1)
    make_section("Americas", position=3)
    page = client.get("/").content.decode()
    nav = re.search(r'<nav class="masthead__nav".*?</nav>', page, re.S)[0]
    assert re.findall(r'href="/sections/([^"]+)/"', nav) == ["europe", "asia", "americas"]
    assert Section.objects.count() == 3


def test_server_error_page_is_the_sites_own_and_needs_no_database():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
