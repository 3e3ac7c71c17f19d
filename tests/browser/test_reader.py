"""A reader in a real browser: front page to story, topic filter and its chip, unpublished stories."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Status


def test_reader_follows_a_headline_from_the_front_page(page, make_article):
    article = make_article("Envoys meet in Geneva", dek="A first round of talks.")
    static_responses = []
    page.on("response", lambda response: "/static/" in response.url and static_responses.append(response))

    page.goto("/")  # returns after the load event, so after the stylesheet's response
    # The page is styled: the stylesheet and icon it links (hashed names) were served.
    assert static_responses
    assert [(r.url, r.status) for r in static_responses if r.status != 200] == []
    page.get_by_role("link", name="Envoys meet in Geneva").click()

    expect(page).to_have_url(re.compile(re.escape(article.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Envoys meet in Geneva")


def test_topic_facet_narrows_the_list_and_its_chip_widens_it_again(page, make_article):
    make_article("Tariff talks stall", tags=["China", "Trade"])
    make_article("Xinjiang report", tags=["China", "Human rights"])
    make_article("Brussels weighs duties", tags=["Trade"])
    everything = ["Tariff talks stall", "Xinjiang report", "Brussels weighs duties"]
    headlines = page.locator(".list-layout__results .card__headline")
    count = page.locator(".list-header__count")
    remove_china = page.get_by_role("link", name="Remove topic China")

    page.goto("/articles/")
    expect(headlines).to_have_text(everything)
    expect(remove_china).to_have_count(0)
    facets = page.get_by_role("region", name="Filter by topic")
    facets.get_by_role("link", name=re.compile(r"^China\b")).click()

    expect(page).to_have_url(re.compile(r"/articles/\?tag=china$"))
    expect(headlines).to_have_text(["Tariff talks stall", "Xinjiang report"])
    expect(count).to_have_text("2 stories")
    expect(remove_china).to_be_visible()

    remove_china.click()

    expect(page).to_have_url(re.compile(r"/articles/\??$"))
    expect(headlines).to_have_text(everything)
    expect(count).to_have_text("3 stories")
    expect(remove_china).to_have_count(0)


@pytest.mark.parametrize(
    "state",
    [
        {"status": Status.DRAFT},
        {"status": Status.REVIEW},
        {"status": Status.PUBLISHED, "published_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["draft", "in-review", "scheduled"],
)
def test_unpublished_story_is_not_found_and_not_listed(page, make_article, state):
    make_article("Ceasefire holds")
    hidden = make_article("Embargoed: summit collapses", **state)

    response = page.goto(hidden.get_absolute_url())

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("Embargoed: summit collapses")).to_have_count(0)

    page.goto("/articles/")
    # The public story shows first, so the list has rendered when the hidden one is looked for.
    expect(page.get_by_role("link", name="Ceasefire holds")).to_be_visible()
    expect(page.get_by_role("link", name="Embargoed: summit collapses")).to_have_count(0)
