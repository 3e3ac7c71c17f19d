"""Search at archive scale: prefixes, the date range, the bounded count, and what each page's query
reads, on whichever database DATABASE_URL names (SQLite by default, PostgreSQL in CI)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article, Section, Status
from articles.search import COUNT_BOUND, SearchResults, index_articles, parse_query, search_articles
from tests.test_search import by_class, found, headlines_on, page_of


def day(text):
    """Noon of ``text`` (YYYY-MM-DD) in the site's time zone."""
    return timezone.make_aware(datetime.fromisoformat(text).replace(hour=12))


# Prefixes -----------------------------------------------------------------------------------------


def test_prefix_finds_every_word_it_begins(make_article):
    make_article("Sanctions on steel", body="Text.")
    make_article("A sanctuary city", body="Text.")
    make_article("Sanity returns", body="Text.")
    assert sorted(found("sanct*")) == ["A sanctuary city", "Sanctions on steel"]
    assert found("sanctions") == ["Sanctions on steel"]


def test_prefix_combines_with_words_phrases_and_exclusions(make_article):
    make_article("Sanctions on steel", body="Trade talks.")
    make_article("Sanctuary for envoys", body="Trade talks.")
    make_article("Sanctions on oil", body="Nothing else.")
    assert sorted(found("sanct* trade")) == ["Sanctions on steel", "Sanctuary for envoys"]
    assert found('sanct* "trade talks" -steel') == ["Sanctuary for envoys"]
    assert sorted(found("sanct* -trade or steel")) == ["Sanctions on oil", "Sanctions on steel"]


def test_short_or_quoted_star_is_not_a_prefix(make_article):
    make_article("Sanctions on steel", body="Text.")
    assert found("sa*") == []  # two letters: the word "sa", which nothing has
    assert found('"sanct*"') == []  # in quotes the star is punctuation
    assert parse_query("sanct*").fts5() == '("sanct" *)'
    assert parse_query("sa*").fts5() == '("sa")'


def test_prefix_ranks_a_headline_match_first(make_article):
    make_article("Budget vote", body="Sanctions were mentioned once.")
    make_article("Sanctions bite", body="Budget.")
    assert found("sanct*") == ["Sanctions bite", "Budget vote"]


def test_prefix_on_the_page_marks_the_whole_word(client, make_article):
    make_article("Talks", body="New sanctions on steel were announced.")
    page = page_of(client.get("/search/", {"q": "sanct*"}))
    marks = [m.text_content() for m in page.xpath("//mark")]
    assert marks and all(m.lower().startswith("sanction") for m in marks)


# The date range -----------------------------------------------------------------------------------


def test_date_range_includes_both_days(client, make_article):
    make_article("Summit in March", body="Summit.", published_at=day("2024-03-01"))
    make_article("Summit in April", body="Summit.", published_at=day("2024-04-15"))
    make_article("Summit in May", body="Summit.", published_at=day("2024-05-31"))
    response = client.get("/search/", {"q": "summit", "from": "2024-04-15", "to": "2024-05-31"})
    assert sorted(headlines_on(response)) == ["Summit in April", "Summit in May"]
    assert headlines_on(client.get("/search/", {"q": "summit", "to": "2024-03-01"})) == ["Summit in March"]
    assert headlines_on(client.get("/search/", {"q": "summit", "from": "2024-05-01"})) == ["Summit in May"]
    count = by_class(page_of(response), "list-header__count")[0].text_content()
    assert count == "2 stories from 15 Apr 2024 to 31 May 2024"


def test_date_fields_are_labelled_and_keep_their_values(client, make_article):
    make_article("Summit", body="Summit.", published_at=day("2024-04-15"))
    page = page_of(client.get("/search/", {"q": "summit", "from": "2024-04-01", "to": "2024-04-30"}))
    for field, label, value in (("from", "From", "2024-04-01"), ("to", "To", "2024-04-30")):
        box = page.xpath(f'//form[@role="search"]//input[@name="{field}"]')[0]
        assert box.get("type") == "date" and box.get("value") == value
        assert page.xpath(f'//label[@for="{box.get("id")}"]')[0].text_content() == label


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday"}, {"to": "2024-13-01"}, {"from": "2024-02-30"}, {"from": "24-1-1"},
     {"from": "2024-05-01", "to": "2024-04-01"}, {"to": "2024-04-01T00:00"}, {"from": "９９９９-01-01"}],
)  # fmt: skip
def test_bad_dates_are_a_bad_request_page(client, make_article, params):
    make_article("Summit", body="Summit.")
    response = client.get("/search/", {"q": "summit", **params})
    assert response.status_code == 400
    assert "That request could not be understood" in response.content.decode()


def test_api_search_takes_the_same_date_range(client, make_article):
    make_article("Summit in March", body="Summit.", published_at=day("2024-03-01"))
    make_article("Summit in April", body="Summit.", published_at=day("2024-04-15"))
    make_article("Summit in May", body="Summit.", published_at=day("2024-05-31"))
    make_article("Draft summit", body="Summit.", published_at=day("2024-04-20"), status=Status.DRAFT)
    params = {"q": "summit", "from": "2024-04-15", "to": "2024-05-31"}
    data = client.get("/api/articles/", params).json()
    assert data["count"] == 2
    assert sorted(a["headline"] for a in data["results"]) == ["Summit in April", "Summit in May"]
    # Without q too, and the page links keep the range.
    data = client.get("/api/articles/", {"to": "2024-03-01"}).json()
    assert [a["headline"] for a in data["results"]] == ["Summit in March"]
    for n in range(25):
        make_article(f"Summit {n}", body="Summit.", published_at=day("2024-04-16"))
    data = client.get("/api/articles/", params).json()
    assert data["count"] == 27 and "from=2024-04-15&to=2024-05-31" in data["next"]
    bad = client.get("/api/articles/", {"q": "summit", "from": "2024-13-01"})
    assert bad.status_code == 400 and "give from= as YYYY-MM-DD" in bad.json()["detail"]
    # The schema cannot say that from= must not be after to=: such a range is empty, not a 400.
    swapped = client.get("/api/articles/", {"q": "summit", "from": "2024-05-01", "to": "2024-04-01"})
    assert (swapped.status_code, swapped.json()["count"]) == (200, 0)
    documented = client.get("/api/openapi.json").json()["paths"]["/api/articles/"]["get"]["parameters"]
    assert {"from", "to"} <= {parameter["name"] for parameter in documented}


def test_extreme_dates_answer_a_page(client, make_article):
    make_article("Summit", body="Summit.")
    assert (
        client.get("/search/", {"q": "summit", "from": "0001-01-01", "to": "9999-12-31"}).status_code == 200
    )


# Visibility ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW, "scheduled"])
@pytest.mark.parametrize(
    "params", [{"q": "sanct*"}, {"q": "sanctions", "from": "2000-01-01", "to": "2100-01-01"}]
)
def test_hidden_stories_are_never_found_by_prefix_or_date(client, make_article, status, params):
    make_article("Sanctions public", body="Sanctions.")
    if status == "scheduled":
        make_article("Sanctions hidden", body="Sanctions.", published_at=timezone.now() + timedelta(days=1))
    else:
        make_article("Sanctions hidden", body="Sanctions.", status=status)
    response = client.get("/search/", params)
    assert headlines_on(response) == ["Sanctions public"]
    assert "Sanctions hidden" not in response.content.decode()


# The bounded count --------------------------------------------------------------------------------


@pytest.fixture
def many_summits(db, make_article):
    """COUNT_BOUND + 5 public stories about a summit, and a draft one, written in bulk."""
    make_article("Draft summit", body="Summit.", status=Status.DRAFT)
    section = Section.objects.first()
    now = timezone.now()
    rows = Article.objects.bulk_create(
        Article(
            headline=f"Summit {n}", slug=f"summit-{n}", section=section, body="The summit.",
            body_html="<p>The summit.</p>", status=Status.PUBLISHED,
            published_at=now - timedelta(hours=1, minutes=n),
        )
        for n in range(COUNT_BOUND + 5)
    )  # fmt: skip
    index_articles(rows)
    return rows


def test_broad_search_says_more_than_the_bound(client, many_summits):
    page = page_of(client.get("/search/", {"q": "summit"}))
    assert by_class(page, "list-header__count")[0].text_content() == "More than 1,000 stories"
    assert page.findtext(".//title").startswith("Results for “summit” — more than 1,000 stories")
    assert "add words, a topic or dates" in by_class(page, "list-header__note")[0].text_content()


def test_paging_stops_at_the_bound(client, many_summits):
    last = COUNT_BOUND // 20
    response = client.get("/search/", {"q": "summit", "page": last})
    assert len(headlines_on(response)) == 20
    assert f"Page {last} of {last}" in response.content.decode()
    assert client.get("/search/", {"q": "summit", "page": last + 1}).status_code == 404


def test_narrow_search_counts_exactly(client, many_summits):
    page = page_of(client.get("/search/", {"q": "summit 7"}))
    assert by_class(page, "list-header__count")[0].text_content() == "1 story"
    assert not by_class(page, "list-header__note")


def test_api_says_when_the_count_is_a_lower_bound(client, many_summits):
    data = client.get("/api/articles/", {"q": "summit"}).json()
    assert (data["count"], data["more_than_count"], data["pages"]) == (COUNT_BOUND, True, COUNT_BOUND // 20)
    data = client.get("/api/articles/", {"q": "summit 7"}).json()
    assert (data["count"], data["more_than_count"]) == (1, False)


def test_results_below_the_bound_are_exact_and_complete(make_article):
    for n in range(5):
        make_article(f"Summit {n}", body="Summit.")
    results = search_articles("summit", Article.objects.published())
    assert (results.count(), results.more) == (5, False)
    assert len(list(results)) == 5


# Snippets only on the page, in a fixed number of queries -----------------------------------------


def test_snippets_are_made_for_the_page_only(make_article):
    for n in range(25):
        make_article(f"Summit {n}", body="A long day at the summit.")
    results = search_articles("summit", Article.objects.published())
    page = results[20:25]
    assert len(page) == 5 and all("<mark>summit</mark>" in a.search_snippet for a in page)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # sections, count, ranked page with its snippets, articles (with their cards)
        ("/search/?q=sanct*", 4),
        ("/search/?q=sanctions&from=2000-01-01&to=2100-01-01", 4),
    ],
)
def test_prefix_and_date_searches_take_a_fixed_number_of_queries(
    client, make_article, django_assert_num_queries, url, expected
):
    for n in range(25):
        make_article(f"Sanctions {n}", tags=["China"], authors=["Ana Ruiz"], body="Sanctions.")
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(headlines_on(response)) == 20


# The window when the newest matches are old ---------------------------------------------------------


def _analyze():
    """Planner statistics, as autovacuum leaves them: PostgreSQL picks how to read matches by them."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_search_vector" if connection.vendor == "postgresql" else "ANALYZE")


@pytest.mark.parametrize("common", [False, True], ids=["rare word", "common word"])
def test_window_holds_the_newest_visible_matches_however_old(make_article, monkeypatch, common):
    # "Ember" is in the oldest stories only: a quarter of the archive (read through the GIN index,
    # newest ids first, then older ones when those hold too few) or, with "common", half of it
    # (read by walking ids backwards). Either way the window is the newest visible matches.
    embers = [make_article(f"Ember {n}", body="Ember.") for n in range(15 if not common else 30)]
    for n in range(45 if not common else 30):
        make_article(f"Other {n}", body="Nothing of the kind.")
    embers[-1].status = Status.DRAFT
    embers[-1].save()
    _analyze()
    monkeypatch.setattr("articles.search.results.RANK_WINDOW", 2)
    newest = {embers[-2].headline, embers[-3].headline}
    assert set(found("ember")) == newest
    results = SearchResults(parse_query("ember"), Article.objects.published(), bound=3)
    assert (results.count(), results.more) == (3, True)
    narrow = SearchResults(parse_query("ember"), Article.objects.published().filter(pk=embers[0].pk))
    assert (narrow.count(), [a.headline for a in narrow]) == (1, ["Ember 0"])
