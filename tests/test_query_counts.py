"""Each public page costs a fixed number of queries, whatever it shows (at most 6), with or
without pictures: a story's bylines, topics, corrections and picture come in its card data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from tests.conftest import build_article, build_lead, build_photo, keep_public

TAGS = ["China", "Trade", "Human rights", "Climate", "Taiwan"]
AUTHORS = ["Ana Ruiz", "Li Wei"]

# url -> queries: the navigation's sections, the page's subject, tag resolution, count, the
# articles (each with its card: bylines, tags, corrections, picture), the tag facets.
EXPECTED = {
    "/": 5,  # sections, lead, latest, per-section blocks (cards carry bylines, tags, pictures), live stories
    "/articles/": 4,  # sections, count, page, facets
    "/articles/?tag=china&tag=trade": 5,  # + the chosen tags
    "/articles/?section=world&tag=china": 6,  # + the chosen section
    "/sections/world/": 5,  # + the section
    "/tags/china/": 5,  # + the tag
    "/authors/ana-ruiz/": 5,  # + the author
    "/search/?q=story": 4,  # sections, count, ranked ids, page
    "/tags/": 2,  # sections, tags with counts
    "ARTICLE": 3,  # sections, the article with its card, related stories
}


# The three archives: 3 stories, 45, and 45 each leading with one of two pictures (so some pictures
# are shared and some not).
ARCHIVES = [(3, False), (45, False), (45, True)]


class TestQueryCounts:
    """Read from the three archives, made once for the class (conftest.shared_rows)."""

    @pytest.fixture(scope="class")
    @classmethod
    def archives(cls, shared_rows):
        made = {}
        photos = [build_photo(color=(40, 80, 120)), build_photo(color=(120, 80, 40))]
        for count, pictured in ARCHIVES:
            stories = [
                build_article(f"Story {n}", tags=TAGS, authors=AUTHORS, section=["World", "Asia"][n % 2])
                for n in range(count)
            ]
            if pictured:
                for n, article in enumerate(stories):
                    build_lead(article, photos[n % 2])
            made[count, pictured] = stories
        return made

    @pytest.fixture
    def archive(self, db, archives):
        """The chosen archive, the only one public for this test."""
        return lambda count, pictured: keep_public(archives[count, pictured])

    @pytest.mark.parametrize(("count", "pictured"), ARCHIVES)
    @pytest.mark.parametrize("url", EXPECTED)
    def test_query_count_is_flat(self, client, archive, url, count, pictured):
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
        assert len(queries) <= 6
        if pictured and url != "/tags/":
            assert b"<picture>" in response.content

    def test_list_page_shows_twenty_cards_with_every_tag_and_author(self, client, archive):
        archive(45, False)
        page = client.get("/articles/").content.decode()
        assert page.count('class="card__headline"') == 20
        assert page.count(">Li Wei</a>") == 20
        assert page.count(">Human rights</a>") == 20

    @pytest.mark.parametrize("url", [u for u in EXPECTED if u != "/tags/"])
    def test_stories_saved_before_cards_existed_cost_four_queries_more_a_list(self, client, archive, url):
        """An archive upgraded to cards is served, with every byline and topic, before
        ``refresh_cards`` has run: each list of cards on the page (the front page has three: lead,
        latest, sections) works its stories' cards out together."""
        articles = archive(45, True)
        Article.objects.update(card=None)
        target = articles[-1].get_absolute_url() if url == "ARTICLE" else url
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target)
        assert response.status_code == 200
        # bylines, taggings, corrections and pictures of a list's stories, once a list
        lists = 3 if url == "/" else 1
        assert len(queries) == EXPECTED[url] + 4 * lists, "\n".join(q["sql"] for q in queries)
        assert b">Li Wei</a>" in response.content
        assert b"<picture>" in response.content
        assert not Article.objects.exclude(card=None).exists()  # a reader's request writes nothing
