"""What search engines and social sites read from a page, read back with extruct."""

import extruct
import pytest
from django.utils import timezone

from articles.models import Correction
from tests import schema_org


@pytest.fixture
def story(make_article):
    article = make_article(
        "Envoy lands in Beijing",
        authors=["Ana Ruiz", "Li Wei"],
        tags=["China", "Diplomacy"],
        section="Asia",
        dek='Talks on trade & "red lines" </script> begin.',
        dateline="BEIJING",
    )
    Correction.objects.create(article=article, text="An earlier version misnamed the minister.")
    article.refresh_from_db()
    return article


def extract(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return extruct.extract(
        response.content.decode(),
        base_url="http://testserver" + url,
        syntaxes=["json-ld", "opengraph"],
        uniform=True,
    )


def test_one_news_article_with_every_field(client, story):
    data = extract(client, story.get_absolute_url())
    articles = [item for item in data["json-ld"] if item["@type"] == "NewsArticle"]
    assert len(articles) == 1
    assert schema_org.problems(data["json-ld"]) == []
    news = articles[0]
    url = f"http://testserver/articles/{story.slug}/"
    assert news["headline"] == "Envoy lands in Beijing"
    assert news["description"] == 'Talks on trade & "red lines" </script> begin.'  # survives escaping
    assert news["datePublished"] == story.published_at.isoformat()
    assert news["dateModified"] == story.updated_at.isoformat()
    assert [a["name"] for a in news["author"]] == ["Ana Ruiz", "Li Wei"]
    assert news["author"][0]["url"] == "http://testserver/authors/ana-ruiz/"
    assert news["articleSection"] == "Asia"
    assert news["keywords"] == ["China", "Diplomacy"]
    assert news["publisher"] == {"@type": "Organization", "name": "Newsroom", "url": "http://testserver/"}
    assert news["mainEntityOfPage"]["@id"] == url
    assert news["correction"][0]["text"] == "An earlier version misnamed the minister."


def test_breadcrumbs_lead_home_section_article(client, story):
    data = extract(client, story.get_absolute_url())
    crumbs = next(item for item in data["json-ld"] if item["@type"] == "BreadcrumbList")
    assert [(i["position"], i["name"]) for i in crumbs["itemListElement"]] == [
        (1, "Newsroom"),
        (2, "Asia"),
        (3, "Envoy lands in Beijing"),
    ]
    assert crumbs["itemListElement"][1]["item"] == "http://testserver/sections/asia/"


def test_open_graph_and_twitter_tags(client, story):
    response = client.get(story.get_absolute_url())
    page = response.content.decode()
    og = extract(client, story.get_absolute_url())["opengraph"][0]
    assert og["@type"] == "article"
    assert og["og:title"] == "Envoy lands in Beijing"
    assert og["og:url"] == f"http://testserver/articles/{story.slug}/"
    assert og["article:section"] == "Asia"
    assert '<meta name="twitter:card" content="summary">' in page
    assert '<meta name="twitter:title" content="Envoy lands in Beijing">' in page
    assert f'<link rel="canonical" href="http://testserver/articles/{story.slug}/">' in page
    assert page.count("<title>") == 1


def test_correction_moves_date_modified(client, story, time_machine):
    time_machine.move_to(timezone.now() + timezone.timedelta(hours=3))
    Correction.objects.create(article=story, text="A second fix.")
    blocks = extract(client, story.get_absolute_url())["json-ld"]
    news = next(block for block in blocks if block["@type"] == "NewsArticle")
    assert news["dateModified"] > story.updated_at.isoformat()
    assert len(news["correction"]) == 2


def test_list_pages_link_next_and_previous(client, make_article):
    for n in range(45):
        make_article(f"Story {n}", tags=["Trade"])
    first = client.get("/articles/?tag=trade").content.decode()
    assert '<link rel="next" href="/articles/?tag=trade&amp;page=2">' in first
    assert 'rel="prev"' not in first
    second = client.get("/articles/?tag=trade&page=2").content.decode()
    assert '<link rel="prev" href="/articles/?tag=trade&amp;page=1">' in second
    assert '<link rel="next" href="/articles/?tag=trade&amp;page=3">' in second
    assert '<link rel="canonical" href="http://testserver/articles/?tag=trade&amp;page=2">' in second


def test_preview_carries_no_canonical_or_structured_data(client, make_article):
    from articles.models import Status
    from articles.preview import preview_token

    draft = make_article("Secret draft", status=Status.DRAFT, published_at=None)
    page = client.get(f"/preview/{preview_token(draft)}/").content.decode()
    assert 'rel="canonical"' not in page and "application/ld+json" not in page
