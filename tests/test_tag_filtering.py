"""Tag filtering a reader can use: AND across tags, section filter, facets, removable chips."""

import re

import pytest

from articles.models import Status


@pytest.fixture
def coverage(make_article):
    return {
        "trade": make_article("Tariff talks stall", tags=["China", "Trade"]),
        "rights": make_article("Xinjiang report", tags=["China", "Human rights"]),
        "both": make_article("Trade and rights on the table", tags=["China", "Trade", "Human rights"]),
        "eu": make_article("Brussels weighs duties", tags=["Trade"], section="Europe"),
    }


def headlines(response):
    return set(re.findall(r'class="card__headline"><a href="[^"]+">([^<]+)</a>', response.content.decode()))


def test_repeated_tag_means_all_of_them(client, coverage):
    response = client.get("/articles/?tag=china&tag=trade")
    assert response.status_code == 200
    assert headlines(response) == {"Tariff talks stall", "Trade and rights on the table"}

    response = client.get("/articles/?tag=china&tag=trade&tag=human-rights")
    assert headlines(response) == {"Trade and rights on the table"}


def test_section_filter_combines_with_tags(client, coverage):
    assert headlines(client.get("/articles/?section=europe")) == {"Brussels weighs duties"}
    assert headlines(client.get("/articles/?section=world&tag=trade")) == {
        "Tariff talks stall",
        "Trade and rights on the table",
    }


def test_section_page_takes_the_same_tag_filter(client, coverage):
    assert headlines(client.get("/sections/world/?tag=human-rights")) == {
        "Xinjiang report",
        "Trade and rights on the table",
    }


def test_tag_page_narrows_with_more_tags(client, coverage):
    response = client.get("/tags/trade/?tag=china")
    assert headlines(response) == {"Tariff talks stall", "Trade and rights on the table"}


def test_facets_show_tags_in_the_results_with_counts(client, coverage):
    page = client.get("/articles/?tag=china").content.decode()
    facets = dict(re.findall(r'href="(\?[^"]+)">([^<]+?) <span class="tag__count">', page))
    assert facets == {"?tag=china&amp;tag=trade": "Trade", "?tag=china&amp;tag=human-rights": "Human rights"}
    assert re.search(r"Trade <span class=\"tag__count\">2<", page)


def test_chips_remove_one_tag_at_a_time_and_clear_all(client, coverage):
    page = client.get("/articles/?tag=china&tag=trade").content.decode()
    assert 'href="?tag=trade" aria-label="Remove topic China"' in page
    assert 'href="?tag=china" aria-label="Remove topic Trade"' in page
    assert "Clear all filters" in page


def test_title_and_heading_say_what_is_filtered(client, coverage):
    page = client.get("/articles/?tag=china&tag=trade").content.decode()
    assert "<title>China · Trade — 2 stories — Newsroom</title>" in page
    assert "<h1>China · Trade</h1>" in page
    assert '<p class="list-header__count">2 stories</p>' in page


def test_filtered_list_is_indexable_under_one_address_whatever_the_tag_order(client, coverage):
    # Lighthouse's SEO audit and search engines: the combination is a real page, not a noindex one;
    # the canonical link puts the tags in one order so permutations are not duplicates.
    page = client.get("/articles/?tag=trade&tag=china&page=1").content.decode()
    assert 'name="robots"' not in page
    assert '<link rel="canonical" href="http://testserver/articles/?tag=china&amp;tag=trade">' in page


def test_tag_filter_never_counts_hidden_articles(client, coverage, make_article):
    make_article("Draft on trade", tags=["China", "Trade"], status=Status.DRAFT, published_at=None)
    assert headlines(client.get("/articles/?tag=china&tag=trade")) == {
        "Tariff talks stall",
        "Trade and rights on the table",
    }


def test_pagination_keeps_the_filters(client, make_article):
    for n in range(25):
        make_article(f"Trade story {n}", tags=["Trade"])
    page = client.get("/articles/?tag=trade").content.decode()
    assert 'href="?tag=trade&amp;page=2"' in page
    second = client.get("/articles/?tag=trade&page=2")
    assert len(headlines(second)) == 5
