"""Each public page costs a fixed number of queries, whatever it shows (at most 9), with or
without pictures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

TAGS = ["China", "Trade", "Human rights", "Climate", "Taiwan"]
AUTHORS = ["Ana Ruiz", "Li Wei"]

# url -> queries: the navigation's sections, the page's subject, tag resolution, count,
# the articles, and their bylines and tags (prefetched), their pictures, the tag facets.
EXPECTED = {
    "/": 7,  # sections, lead, latest, per-section blocks, bylines, tags, pictures
    "/articles/": 7,  # sections, count, page, bylines, tags, pictures, facets
    "/articles/?tag=china&tag=trade": 8,  # + the chosen tags
    "/articles/?section=world&tag=china": 9,  # + the chosen section
    "/sections/world/": 8,  # + the section
    "/tags/china/": 8,  # + the tag
    "/authors/ana-ruiz/": 8,  # + the author
    "/search/?q=story": 7,  # sections, count, ranked ids, page, bylines, tags, pictures
    "/tags/": 2,  # sections, tags with counts
    "ARTICLE": 7,  # sections, article, bylines, tags, corrections, its picture, related stories
}


@pytest.fixture
def archive(make_article, request):
    def build(count, pictured=False):
        articles = [
            make_article(f"Story {n}", tags=TAGS, authors=AUTHORS, section=["World", "Asia"][n % 2])
            for n in range(count)
        ]
        if pictured:
            # Every story leads with a picture; two pictures, so some are shared and some not.
            make_photo, lead_with = (request.getfixturevalue(name) for name in ("make_photo", "lead_with"))
            photos = [make_photo(color=(40, 80, 120)), make_photo(color=(120, 80, 40))]
            for n, article in enumerate(articles):
                lead_with(article, photos[n % 2])
        return articles

    return build


@pytest.mark.parametrize(("count", "pictured"), [(3, False), (45, False), (45, True)])
@pytest.mark.parametrize("url", EXPECTED)
def test_query_count_is_flat(client, archive, url, count, pictured):
    articles = archive(count, pictured)
    if url == "ARTICLE":
        url = articles[-1].get_absolute_url()
        expected = EXPECTED["ARTICLE"]
    else:
        expected = EXPECTED[url]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) == expected, "\n".join(q["sql"] for q in queries)
    assert len(queries) <= 9
    if pictured and url != "/tags/":
        assert b"<picture>" in response.content


def test_list_page_shows_twenty_cards_with_every_tag_and_author(client, archive):
    archive(45)
    page = client.get("/articles/").content.decode()
    assert page.count('class="card__headline"') == 20
    assert page.count(">Li Wei</a>") == 20
    assert page.count(">Human rights</a>") == 20
