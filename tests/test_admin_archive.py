"""The admin at archive scale: the article change list and change form ask the same queries however
many stories there are (perf/archive_bench.py times them at 100,000 and more)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Status

CHANGELIST = "/admin/articles/article/"


@pytest.fixture
def editor_client(client, admin_user):
    client.force_login(admin_user)
    return client


def queries_of(client, path):
    client.get(path)  # warm: a first request fills caches (content types) a later one finds full
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def add_stories(make_article, count, start=0):
    for n in range(start, start + count):
        make_article(
            f"Story {n}",
            section=f"Section {n % 3}",
            authors=["Ana Ruiz", f"Writer {n % 4}"],
            tags=["China", f"Topic {n % 5}"],
            status=[Status.PUBLISHED, Status.DRAFT, Status.REVIEW][n % 3],
            published_at=datetime(2021 + n % 4, 1 + n % 12, 1, tzinfo=UTC),
        )


FILTERS = ["", "?q=Story", "?status__exact=published", "?state=live", "?published_at__year=2022", "?p=1"]


def test_changelist_queries_do_not_grow_with_the_archive(editor_client, make_article):
    """Each filter of the list, on 5 stories and again on 65 (one archive grown, for all of them)."""
    add_stories(make_article, 5)
    few = {query: queries_of(editor_client, CHANGELIST + query) for query in FILTERS}
    add_stories(make_article, 60, start=5)  # more rows than a page, more sections, authors and tags
    many = {query: queries_of(editor_client, CHANGELIST + query) for query in FILTERS}
    grown = {query: many[query] for query in FILTERS if len(many[query]) != len(few[query])}
    assert grown == {}, f"queries grew with the archive for {list(grown)}"


def test_changelist_counts_the_archive_once_and_never_scans_it_for_dates(editor_client, make_article):
    add_stories(make_article, 5)
    sql = queries_of(editor_client, CHANGELIST + "?status__exact=published")
    # One count for the paginator; no second "(N total)" count, no distinct years of every story.
    assert sum("COUNT(" in query for query in sql) == 1
    assert not any("DISTINCT" in query for query in sql)


def test_changelist_reads_headlines_not_bodies(editor_client, make_article):
    make_article("Envoy lands in Beijing", body="A body long enough to matter.")
    sql = queries_of(editor_client, CHANGELIST)
    page_query = next(query for query in sql if query.startswith('SELECT "articles_article"."id"'))
    assert '"headline"' in page_query and '"body"' not in page_query and '"body_html"' not in page_query


def test_change_form_queries_do_not_grow_with_the_archive(editor_client, make_article):
    add_stories(make_article, 5)
    story = make_article("The one we edit", authors=["Ana Ruiz", "Li Wei"], tags=["China", "Trade"])
    few = queries_of(editor_client, f"{CHANGELIST}{story.pk}/change/")
    add_stories(make_article, 60, start=5)
    many = queries_of(editor_client, f"{CHANGELIST}{story.pk}/change/")
    assert len(many) == len(few)


def test_change_form_rows_do_not_fetch_their_tag_and_article_one_by_one(editor_client, make_article):
    two = make_article("Two tags", tags=["China", "Trade"])
    five = make_article("Five tags", tags=["China", "Trade", "Climate", "Asia", "Europe"])
    with_two = queries_of(editor_client, f"{CHANGELIST}{two.pk}/change/")
    with_five = queries_of(editor_client, f"{CHANGELIST}{five.pk}/change/")
    # The Topics field reads the story's topics at once (articles/topic_picker.py): no query a tag.
    assert len(with_five) == len(with_two)


def test_year_filter_offers_the_years_between_the_first_and_last_story(editor_client, make_article):
    make_article("Old", published_at=datetime(2021, 6, 1, tzinfo=UTC))
    make_article("New", published_at=datetime(2024, 6, 1, tzinfo=UTC))
    page = editor_client.get(CHANGELIST).content.decode()
    for year in ("2021", "2022", "2023", "2024"):
        assert f"?published_at__year={year}" in page
    filtered = editor_client.get(CHANGELIST + "?published_at__year=2021").content.decode()
    assert ">Old<" in filtered and ">New<" not in filtered


def test_year_filter_is_empty_without_stories_and_ignores_a_bad_year(editor_client, db):
    assert "year published" not in editor_client.get(CHANGELIST).content.decode()
    assert Article.objects.count() == 0
    assert editor_client.get(CHANGELIST + "?published_at__year=abc").status_code == 200


def test_search_reads_the_index_and_finds_stories_in_every_state(editor_client, make_article):
    """The change list's search goes through the full-text index, never a substring scan of every
    story's text: words anywhere in headline, dek or body, a prefix, a phrase, an exclusion and an
    exact slug, drafts and stories in review included."""
    draft = make_article(
        "Talks resume", status=Status.DRAFT, published_at=None, body="The envoy met sanctions officials."
    )
    review = make_article("Envoy returns", status=Status.REVIEW, published_at=None, dek="A quiet trip.")
    live = make_article("Trade duties rise", body="Ministers met in Brussels.")

    def found(query):
        page = editor_client.get(CHANGELIST, {"q": query}).content.decode()
        return {story.headline for story in (draft, review, live) if story.headline in page}

    assert found("envoy") == {"Talks resume", "Envoy returns"}  # body and headline, two states
    assert found("sanct*") == {"Talks resume"}
    assert found('"quiet trip"') == {"Envoy returns"}
    assert found("envoy -sanctions") == {"Envoy returns"}
    assert found(live.slug) == {"Trade duties rise"}
    assert found("nowhere") == set()
    sql = queries_of(editor_client, CHANGELIST + "?q=envoy")
    assert not any("LIKE" in query.upper() for query in sql)
