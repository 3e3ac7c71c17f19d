"""The editors' admin: list, filters, search, inlines, autocomplete, view on site."""

import re

import pytest
from django.utils import timezone

from articles.models import Article, Status


@pytest.fixture
def editor_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_changelist_shows_columns_and_is_flat_in_queries(
    editor_client, make_article, django_assert_max_num_queries
):
    for n in range(30):
        make_article(f"Story {n}", authors=["Ana Ruiz", "Li Wei"], tags=["China"])
    with django_assert_max_num_queries(12):
        response = editor_client.get("/admin/articles/article/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Ruiz, Li Wei" in page
    for column in ("Headline", "Section", "State", "Published at", "Authors"):
        assert column in page


@pytest.mark.parametrize(
    "query", ["?status__exact=draft", "?section__id__exact=1", "?q=Beijing", "?published_at__year=2026"]
)
def test_changelist_filters_and_search_answer(editor_client, make_article, query):
    make_article("Envoy lands in Beijing")
    assert editor_client.get("/admin/articles/article/" + query).status_code == 200


def test_search_finds_by_headline(editor_client, make_article):
    make_article("Envoy lands in Beijing")
    make_article("Brussels weighs duties")
    page = editor_client.get("/admin/articles/article/?q=Beijing").content.decode()
    assert "Envoy lands in Beijing" in page and "Brussels weighs duties" not in page


def test_add_article_with_byline_tags_and_correction(editor_client, make_section, make_author, db):
    from articles.models import Tag

    section = make_section("Diplomacy")
    ana, li = make_author("Ana Ruiz"), make_author("Li Wei")
    china = Tag.objects.create(name="China", slug="china")
    data = {
        "headline": "Envoy lands in Beijing",
        "slug": "envoy-lands-in-beijing",
        "dek": "The visit comes as tensions rise.",
        "body": "The plane landed at dawn.",
        "section": section.pk,
        "dateline": "BEIJING",
        "status": Status.PUBLISHED,
        "published_at_0": timezone.now().strftime("%Y-%m-%d"),
        "published_at_1": "00:00:00",
        "bylines-TOTAL_FORMS": "2",
        "bylines-INITIAL_FORMS": "0",
        "bylines-0-author": li.pk,
        "bylines-0-position": "0",
        "bylines-1-author": ana.pk,
        "bylines-1-position": "1",
        "tags": [china.pk],
        "corrections-TOTAL_FORMS": "1",
        "corrections-INITIAL_FORMS": "0",
        "corrections-0-date_0": timezone.now().strftime("%Y-%m-%d"),
        "corrections-0-date_1": "12:00:00",
        "corrections-0-text": "Corrected the date of the visit.",
        "publication_events-TOTAL_FORMS": "0",
        "publication_events-INITIAL_FORMS": "0",
        # The lead-image inline that photos adds to the form, left empty.
        "lead_image-TOTAL_FORMS": "0",
        "lead_image-INITIAL_FORMS": "0",
        # The live-coverage inline that live adds, left empty: not a live story.
        "live-TOTAL_FORMS": "0",
        "live-INITIAL_FORMS": "0",
        # The breaking-news alert box that distribution adds, left empty: no alert.
        "breaking_alert-TOTAL_FORMS": "0",
        "breaking_alert-INITIAL_FORMS": "0",
    }
    response = editor_client.post("/admin/articles/article/add/", data)
    problems = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert response.status_code == 302, problems
    article = Article.objects.get(slug="envoy-lands-in-beijing")
    assert [a.name for a in article.byline_authors] == ["Li Wei", "Ana Ruiz"]
    assert list(article.tags.names()) == ["China"]
    assert article.corrections.get().text == "Corrected the date of the visit."
    assert article.body_html == "<p>The plane landed at dawn.</p>\n"


def test_add_form_fills_the_slug_from_the_headline(editor_client, db):
    page = editor_client.get("/admin/articles/article/add/").content.decode()
    assert "&quot;id&quot;: &quot;#id_slug&quot;" in page
    assert "&quot;dependency_list&quot;: [&quot;headline&quot;]" in page


def test_change_form_has_autocomplete_and_view_on_site(editor_client, make_article):
    article = make_article("Envoy lands in Beijing")
    page = editor_client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert page.count('class="admin-autocomplete') >= 3  # section, byline authors, tags
    assert f'<a href="{article.get_absolute_url()}" class="viewsitelink">View on site</a>' in page


def test_view_on_site_is_absent_for_a_draft(editor_client, make_article):
    article = make_article("Draft", status=Status.DRAFT, published_at=None)
    page = editor_client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "View on site" not in page


@pytest.mark.parametrize("model", ["author", "tag", "section"])
def test_autocomplete_endpoints_answer(editor_client, make_article, model):
    make_article("Envoy lands", tags=["China"])
    response = editor_client.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": model, "term": ""},
    )
    if model == "author":  # the byline inline asks on behalf of ArticleAuthor
        response = editor_client.get(
            "/admin/autocomplete/",
            {"app_label": "articles", "model_name": "articleauthor", "field_name": "author", "term": "An"},
        )
        assert [r["text"] for r in response.json()["results"]] == ["Ana Ruiz"]
    elif model == "tag":
        response = editor_client.get(
            "/admin/autocomplete/",
            {"app_label": "articles", "model_name": "taggedarticle", "field_name": "tag", "term": "Ch"},
        )
        assert [r["text"] for r in response.json()["results"]] == ["China"]
    else:
        assert [r["text"] for r in response.json()["results"]] == ["World"]
