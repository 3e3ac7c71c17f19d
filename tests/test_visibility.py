"""The one visibility rule, walked across every public page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Status

PUBLIC_LISTS = [
    "/",
    "/articles/",
    "/articles/?section=world",
    "/articles/?tag=china",
    "/sections/world/",
    "/tags/china/",
    "/authors/ana-ruiz/",
]


@pytest.fixture
def mixed_articles(make_article):
    """One public story and three a reader must never see, all in the same section, tag and byline."""
    return {
        "public": make_article("Envoy lands in Beijing", tags=["China"]),
        "draft": make_article("Draft about Xinjiang", tags=["China"], status=Status.DRAFT, published_at=None),
        "review": make_article(
            "Review copy on tariffs", tags=["China"], status=Status.REVIEW, published_at=timezone.now()
        ),
        "scheduled": make_article(
            "Embargoed summit communique",
            tags=["China"],
            published_at=timezone.now() + timedelta(days=1),
        ),
    }


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_lists_show_public_and_hide_unpublished(client, mixed_articles, url):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Envoy lands in Beijing" in page
    for hidden in ("Draft about Xinjiang", "Review copy on tariffs", "Embargoed summit communique"):
        assert hidden not in page


@pytest.mark.parametrize("state", ["draft", "review", "scheduled"])
def test_unpublished_article_pages_answer_404(client, mixed_articles, state):
    article = mixed_articles[state]
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 404
    assert article.headline not in response.content.decode()


def test_public_article_page_is_served(client, mixed_articles):
    response = client.get(f"/articles/{mixed_articles['public'].slug}/")
    assert response.status_code == 200
    assert "Envoy lands in Beijing" in response.content.decode()


def test_tag_index_counts_only_public_articles(client, mixed_articles, make_article):
    make_article("Only a draft carries this tag", tags=["Taiwan"], status=Status.DRAFT, published_at=None)
    page = client.get("/tags/").content.decode()
    assert "China" in page and "1 story" in page
    assert "Taiwan" not in page


def test_tag_facets_do_not_count_hidden_articles(client, mixed_articles, make_article):
    make_article("Draft on trade", tags=["China", "Trade"], status=Status.DRAFT, published_at=None)
    page = client.get("/articles/").content.decode()
    assert "Trade" not in page


def test_scheduled_article_appears_when_its_time_comes(client, mixed_articles, time_machine):
    scheduled = mixed_articles["scheduled"]
    assert client.get(f"/articles/{scheduled.slug}/").status_code == 404
    time_machine.move_to(scheduled.published_at + timedelta(seconds=1))
    assert client.get(f"/articles/{scheduled.slug}/").status_code == 200
    assert "Embargoed summit communique" in client.get("/articles/").content.decode()


def test_unpublishing_takes_the_article_off_at_once(client, mixed_articles):
    public = mixed_articles["public"]
    assert client.get("/").status_code == 200
    Article.objects.filter(pk=public.pk).update(status=Status.DRAFT)
    for url in [*PUBLIC_LISTS, f"/articles/{public.slug}/"]:
        response = client.get(url)
        assert public.headline not in response.content.decode(), url


def test_pages_with_only_hidden_articles_are_empty_not_broken(client, make_article):
    make_article("Lonely draft", status=Status.DRAFT, published_at=None, tags=["China"])
    response = client.get("/")
    assert response.status_code == 200
    assert "Lonely draft" not in response.content.decode()
    assert "No stories have been published yet" in response.content.decode()
