"""Each public page costs a fixed number of queries, whatever it shows (at most 8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

TAGS = ["China", "Trade", "Human rights", "Climate", "Taiwan"]
AUTHORS = ["Ana Ruiz", "Li Wei"]

# url -> queries: the navigation's sections, the page's subject, tag resolution, count,
# the articles, and their bylines and tags (prefetched), the tag facets.
EXPECTED = {
    "/": 6,  # sections, lead, latest, per-section blocks, bylines, tags
    "/articles/": 6,  # sections, count, page, bylines, tags, facets
    "/articles/?tag=china&tag=trade": 7,  # + the chosen tags
    "/articles/?section=world&tag=china": 8,  # + the chosen section
    "/sections/world/": 7,  # + the section
    "/tags/china/": 7,  # + the tag
    "/authors/ana-ruiz/": 7,  # + the author
    "/tags/": 2,  # sections, tags with counts
    "ARTICLE": 6,  # sections, article, bylines, tags, corrections, related stories
}


@pytest.fixture
def archive(make_article):
    def build(count):
        return [
            make_article(f"Story {n}", tags=TAGS, authors=AUTHORS, section=["World", "Asia"][n % 2])
            for n in range(count)
        ]

    return build


@pytest.mark.parametrize("count", [3, 45])
@pytest.mark.parametrize("url", EXPECTED)
def test_query_count_is_flat(client, archive, url, count):
    articles = archive(count)
    if url == "ARTICLE":
        url = articles[-1].get_absolute_url()
        expected = EXPECTED["ARTICLE"]
    else:
        expected = EXPECTED[url]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) == expected, "\n".join(q["sql"] for q in queries)
    assert len(queries) <= 8


def test_list_page_shows_twenty_cards_with_every_tag_and_author(client, archive):
    archive(45)
    page = client.get("/articles/").content.decode()
    assert page.count('class="card__headline"') == 20
    assert page.count(">Li Wei</a>") == 20
    assert page.count(">Human rights</a>") == 20
