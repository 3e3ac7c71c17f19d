"""Full-text search: /search/ and articles.search, the same behaviour on SQLite (FTS5) and PostgreSQL.

Run the file once with each database (DATABASE_URL set for PostgreSQL); nothing here is skipped on
either, so both backends answer every case.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import BadRequest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from lxml import html as lxml_html

from articles import publishing
from articles.models import Article, Status, Tag, TaggedArticle
from articles.search import (
    MAX_QUERY_LENGTH,
    clean_query,
    parse_query,
    rebuild_index,
    search_articles,
)
from tests.formdata import form_data


def found(query, queryset=None):
    """Headlines matching ``query`` among public articles, best first."""
    results = search_articles(query, queryset if queryset is not None else Article.objects.published())
    return [article.headline for article in results[: results.count()]]


def page_of(response):
    assert response.status_code == 200, response.content.decode()[:500]
    return lxml_html.fromstring(response.content)


def by_class(tree, name):
    """Elements with the class ``name`` (lxml's cssselect needs a package we do not install)."""
    return tree.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


def headlines_on(response):
    return [h.text_content().strip() for h in by_class(page_of(response), "card__headline")]


# Matching and ranking ---------------------------------------------------------------------------


def test_headline_match_outranks_body_match(make_article):
    # The body-only story is newer and says the word five times; the headline still wins.
    make_article("Envoy flies to Beijing", body="Blinken. " * 5, published_at=timezone.now())
    make_article("Blinken arrives", body="A short visit.", published_at=timezone.now() - timedelta(days=3))
    make_article("Unrelated", body="Nothing to see.")
    assert found("blinken") == ["Blinken arrives", "Envoy flies to Beijing"]


def test_dek_and_tags_outrank_body(make_article):
    make_article("In the body", body="Taiwan was discussed.", published_at=timezone.now())
    make_article(
        "In the dek", dek="Taiwan looms over the talks.", published_at=timezone.now() - timedelta(days=2)
    )
    make_article("In the tags", tags=["Taiwan"], published_at=timezone.now() - timedelta(days=3))
    ranked = found("taiwan")
    assert set(ranked[:2]) == {"In the dek", "In the tags"}
    assert ranked[2] == "In the body"


def test_ranks_are_exposed_best_first(make_article):
    make_article("Blinken in Beijing", body="Blinken met Wang Yi.")
    make_article("Trade talks", body="Blinken was absent.")
    results = search_articles("blinken", Article.objects.published())
    ranks = [article.search_rank for article in results[0:10]]
    assert len(ranks) == 2 and ranks[0] > ranks[1] > 0


def test_all_words_must_match(make_article):
    make_article("Blinken meets Wang", body="Talks in Beijing.")
    make_article("Blinken in Paris", body="Talks in France.")
    assert found("blinken beijing") == ["Blinken meets Wang"]


def test_quoted_phrase_matches_only_the_words_together(make_article):
    make_article("A rights dialogue", body="They discussed human rights at length.")
    make_article("Rights of the human", body="Rights were raised; a human touch was noted.")
    assert found('"human rights"') == ["A rights dialogue"]
    assert sorted(found("human rights")) == ["A rights dialogue", "Rights of the human"]


def test_unclosed_quote_runs_to_the_end(make_article):
    make_article("Export controls", body="New export controls on chips.")
    make_article("Controls on export", body="Controls and then export.")
    assert found('"export controls') == ["Export controls"]


def test_minus_excludes_a_word(make_article):
    make_article("Trade talks resume", body="Tariffs were on the table.")
    make_article("Trade deal signed", body="Soybeans and aircraft.")
    assert found("trade -tariffs") == ["Trade deal signed"]
    assert found('trade -"on the table"') == ["Trade deal signed"]


def test_or_widens(make_article):
    make_article("Beijing visit", body="Beijing.")
    make_article("Taipei visit", body="Taipei.")
    make_article("Tokyo visit", body="Tokyo.")
    assert sorted(found("beijing or taipei")) == ["Beijing visit", "Taipei visit"]
    assert sorted(found("beijing OR taipei -taipei")) == ["Beijing visit"]


def test_stemming_finds_other_forms(make_article):
    make_article("Envoys talk", body="They will talk on Friday.")
    make_article("Nothing", body="Silence.")
    assert found("talks") == ["Envoys talk"]
    assert found("talking") == ["Envoys talk"]


def test_case_and_stop_words_do_not_matter(make_article):
    make_article("The Secretary of State arrives", body="A visit.")
    assert found("SECRETARY state") == ["The Secretary of State arrives"]
    assert found('"secretary of state"') == ["The Secretary of State arrives"]
    assert found("the secretary") == ["The Secretary of State arrives"]


def test_tags_and_dek_are_searchable(make_article):
    make_article("A visit", dek="Uyghur policy is on the agenda.", body="Text.")
    make_article("Another visit", tags=["Human rights"], body="Text.")
    assert found("uyghur") == ["A visit"]
    assert found('"human rights"') == ["Another visit"]


def test_markdown_is_not_indexed_as_words(make_article):
    make_article("Linked", body="See [the statement](https://example.com/zebra) on **sanctions**.")
    assert found("sanctions") == ["Linked"]
    assert found("zebra") == []  # a link target is not text a reader sees


# Snippets ---------------------------------------------------------------------------------------


def test_snippet_marks_matched_words(make_article):
    make_article(
        "Talks", body="The two sides met. Blinken pressed Wang Yi on fentanyl. The meeting ran late."
    )
    [article] = search_articles("fentanyl", Article.objects.published())[0:1]
    assert "<mark>fentanyl</mark>" in article.search_snippet
    assert "Blinken pressed Wang Yi on" in article.search_snippet


def test_snippet_marks_stemmed_forms(make_article):
    make_article("Talks", body="The envoys talked for hours.")
    [article] = search_articles("talk", Article.objects.published())[0:1]
    assert "<mark>talked</mark>" in article.search_snippet


def test_snippet_escapes_text_that_looks_like_html(make_article):
    body = "Quota rules: a <script>alert(1)</script> tag & an <b>AT&T</b> deal \ue000 in the text."
    make_article("Odd text", body=body)
    [article] = search_articles("quota", Article.objects.published())[0:1]
    snippet = str(article.search_snippet)
    assert "<mark>Quota</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&amp;" in snippet and "&lt;b&gt;" in snippet
    assert "<script" not in snippet and "<b>" not in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1  # the stray marker is not ours


def test_snippet_of_a_long_body_is_cut_around_the_match(make_article):
    words = " ".join(f"filler{n}" for n in range(200))
    make_article("Long", body=f"{words} the communique was signed {words}")
    [article] = search_articles("communique", Article.objects.published())[0:1]
    snippet = str(article.search_snippet)
    assert "<mark>communique</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 600


def test_snippet_on_the_page_is_highlighted_and_escaped(client, make_article):
    make_article("Talks", body="Blinken said <i>nothing</i> about the quota.")
    page = client.get("/search/?q=quota").content.decode()
    assert "<mark>quota</mark>" in page
    assert "&lt;i&gt;nothing&lt;/i&gt;" in page


# Filters and pagination -------------------------------------------------------------------------


def test_section_and_tag_filters_combine_with_the_query(client, make_article):
    make_article("Trade in Asia", section="Asia", tags=["China", "Trade"], body="Tariffs.")
    make_article("Trade in Asia, untagged", section="Asia", tags=["Trade"], body="Tariffs.")
    make_article("Trade in the world", section="World", tags=["China"], body="Tariffs.")
    make_article("Asia rice harvest", section="Asia", tags=["China"], body="Rice.")
    assert headlines_on(client.get("/search/?q=tariffs&section=asia&tag=china")) == ["Trade in Asia"]
    assert sorted(headlines_on(client.get("/search/?q=tariffs&section=asia"))) == [
        "Trade in Asia",
        "Trade in Asia, untagged",
    ]
    assert sorted(headlines_on(client.get("/search/?q=tariffs&tag=china"))) == [
        "Trade in Asia",
        "Trade in the world",
    ]


def test_filter_chips_keep_the_query(client, make_article):
    make_article("Trade in Asia", section="Asia", tags=["China", "Trade"], body="Tariffs.")
    page = page_of(client.get("/search/?q=tariffs&section=asia&tag=china&tag=trade"))
    removes = [a.get("href") for a in by_class(page, "chip__remove")]
    assert removes == [
        "?q=tariffs&tag=china&tag=trade",
        "?q=tariffs&section=asia&tag=trade",
        "?q=tariffs&section=asia&tag=china",
    ]
    assert by_class(page, "filters__clear")[0].get("href") == "?q=tariffs"


def test_unknown_filter_is_not_found(client, make_article):
    make_article("Trade", body="Tariffs.")
    assert client.get("/search/?q=tariffs&tag=no-such-topic").status_code == 404
    assert client.get("/search/?q=tariffs&section=nowhere").status_code == 404


def test_pagination_keeps_the_query_and_filters(client, make_article):
    for n in range(25):
        make_article(f"Summit report {n}", section="Asia", tags=["China"], body="The summit.")
    first = client.get("/search/?q=summit&section=asia&tag=china")
    assert len(headlines_on(first)) == 20
    [next_link] = page_of(first).xpath('//nav[@class="pagination"]/a[@rel="next"]')
    assert next_link.get("href") == "?q=summit&section=asia&tag=china&page=2"
    second = client.get("/search/" + next_link.get("href"))
    assert len(headlines_on(second)) == 5
    assert not set(headlines_on(first)) & set(headlines_on(second))
    assert "(page 2)" in page_of(second).findtext(".//title")
    assert client.get("/search/?q=summit&page=3").status_code == 404
    assert client.get("/search/?q=summit&page=abc").status_code == 404


def test_results_are_sliceable_for_the_paginator(make_article):
    for n in range(5):
        make_article(f"Summit {n}", body="Summit.")
    results = search_articles("summit", Article.objects.published())
    assert results.count() == len(results) == 5
    assert [a.headline for a in results[1:3]] == [a.headline for a in results[0:5]][1:3]
    assert results[4].headline == [a.headline for a in results][4]
    assert results[5:9] == []
    with pytest.raises(IndexError):
        results[5]


# The page ---------------------------------------------------------------------------------------


def test_results_page_says_what_was_searched(client, make_article):
    make_article("Blinken in Beijing", section="Asia", authors=["Ana Ruiz", "Li Wei"], body="Blinken.")
    make_article("Blinken again", body="More.")
    make_article("Blinken once more", body="More.")
    response = client.get("/search/?q=blinken")
    page = page_of(response)
    assert page.findtext(".//title").startswith("Results for “blinken” — 3 stories")
    assert page.findtext(".//h1") == "Results for “blinken”"
    assert page.xpath('//meta[@name="robots"]')[0].get("content") == "noindex"
    # The search page's own form holds the query (the masthead's form gives way to it here).
    assert page.get_element_by_id("search-page-query").get("value") == "blinken"
    card = by_class(page, "card")[headlines_on(response).index("Blinken in Beijing")]
    assert (
        card.xpath(".//h2/a")[0].get("href")
        == "/articles/" + Article.objects.get(headline="Blinken in Beijing").slug + "/"
    )
    assert by_class(card, "card__section")[0].text_content().strip() == "Asia"
    assert by_class(card, "byline")[0].text_content() == "By Ana Ruiz and Li Wei"
    assert card.xpath(".//time")[0].get("datetime")


def test_one_result_is_one_story(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    page = page_of(client.get("/search/?q=blinken"))
    assert page.findtext(".//title").startswith("Results for “blinken” — 1 story ")


def test_no_match_says_so(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    page = page_of(client.get("/search/?q=zanzibar"))
    assert headlines_on(client.get("/search/?q=zanzibar")) == []
    assert "No stories match “zanzibar”" in by_class(page, "empty")[0].text_content()
    assert page.findtext(".//title").startswith("Results for “zanzibar” — 0 stories")


def test_empty_query_shows_the_form_and_a_prompt(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    page = page_of(client.get("/search/"))
    assert page.findtext(".//h1") == "Search"
    assert page.xpath('//input[@id="search-page-query"]')
    assert "Type a word" in by_class(page, "empty")[0].text_content()
    assert page.xpath('//meta[@name="robots"]')[0].get("content") == "noindex"
    assert headlines_on(client.get("/search/?q=")) == []


def test_search_page_is_revalidated_like_other_public_pages(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    response = client.get("/search/?q=blinken")
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("matching", [3, 30])
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/search/?q=summit", 4),  # sections, count, ranked page, articles (with their cards)
        ("/search/?q=summit&tag=china", 5),  # + the chosen tag
        ("/search/?q=summit&section=asia&tag=china", 6),  # + the chosen section
        ("/search/", 1),  # sections only: nothing to search for
    ],
)
def test_query_count_is_flat(client, make_article, django_assert_num_queries, matching, url, expected):
    for n in range(matching):
        make_article(
            f"Summit {n}", section="Asia", tags=["China", "Trade", "Taiwan"], authors=["Ana Ruiz", "Li Wei"],
            body="The summit.",
        )  # fmt: skip
    make_article("Elsewhere", body="Nothing.")
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(headlines_on(response)) == (min(matching, 20) if "q=" in url else 0)


# Keeping the index current ----------------------------------------------------------------------


def test_changed_headline_is_searched_by_its_new_words(make_article):
    article = make_article("Envoy heads to Beijing", body="Text.")
    article.headline = "Envoy heads to Taipei"
    article.save()
    assert found("beijing") == []
    assert found("taipei") == ["Envoy heads to Taipei"]


def test_changed_body_is_searched_by_its_new_words(make_article):
    article = make_article("Visit", body="Tariffs on steel.")
    article.body = "Quotas on grain."
    article.save()
    assert found("steel") == []
    assert found("grain") == ["Visit"]


def test_tags_set_through_taggit_are_searchable(make_article):
    article = make_article("Visit", body="Text.")
    article.tags.set([Tag.objects.create(name="Semiconductors", slug="semiconductors")])
    assert found("semiconductors") == ["Visit"]
    article.tags.add("Fentanyl")
    assert found("fentanyl") == ["Visit"]
    article.tags.remove("Semiconductors")
    assert found("semiconductors") == []
    article.tags.clear()
    assert found("fentanyl") == []


def test_tags_saved_as_rows_like_the_admin_inline_are_searchable(make_article):
    article = make_article("Visit", body="Text.")
    tag = Tag.objects.create(name="Rare earths", slug="rare-earths")
    row = TaggedArticle.objects.create(content_object=article, tag=tag)
    assert found('"rare earths"') == ["Visit"]
    row.delete()
    assert found('"rare earths"') == []


def test_edits_through_the_admin_change_form_are_searchable(client, editor, make_article):
    article = make_article("Envoy heads to Beijing", tags=["China"], body="Talks.")
    Tag.objects.create(name="Rare earths", slug="rare-earths")
    client.force_login(editor)
    url = f"/admin/articles/article/{article.pk}/change/"
    data = form_data(client.get(url).content.decode(), "article_form")
    data["headline"] = "Envoy heads to Hanoi"
    data["tags"] = [*data["tags"], str(Tag.objects.get(name="Rare earths").pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert found("beijing") == []
    assert found('hanoi "rare earths" china') == ["Envoy heads to Hanoi"]


def test_renamed_tag_is_searched_by_its_new_name(make_article):
    make_article("Visit", tags=["Uighurs"], body="Text.")
    tag = Tag.objects.get(name="Uighurs")
    tag.name = "Uyghurs"
    tag.save()
    assert found("uyghurs") == ["Visit"]
    assert found("uighurs") == []


def test_deleted_tag_leaves_the_index(make_article):
    make_article("Visit", tags=["Fentanyl"], body="Text.")
    Tag.objects.get(name="Fentanyl").delete()
    assert found("fentanyl") == []


def test_deleted_article_is_gone(make_article):
    article = make_article("Envoy heads to Beijing", tags=["China"], body="Text.")
    article.delete()
    assert found("beijing") == []
    assert found("china") == []


def test_rebuild_catches_up_after_writes_that_skip_signals(make_article):
    article = make_article("Envoy heads to Beijing", body="Text.")
    Article.objects.filter(pk=article.pk).update(headline="Envoy heads to Hanoi")
    assert found("hanoi") == []
    assert rebuild_index() == 1
    assert found("hanoi") == ["Envoy heads to Hanoi"]
    assert found("beijing") == []


# Visibility -------------------------------------------------------------------------------------


@pytest.fixture
def hidden_articles(make_article):
    make_article("Public story", body="Everyone may read about zebras.")
    make_article("A draft", status=Status.DRAFT, published_at=None, body="Draftword and zebras.")
    make_article("In review", status=Status.REVIEW, published_at=None, body="Reviewword and zebras.")
    make_article(
        "Scheduled", status=Status.PUBLISHED, published_at=timezone.now() + timedelta(days=1),
        body="Scheduledword and zebras.", tags=["Embargoed"],
    )  # fmt: skip


@pytest.mark.parametrize("word", ["draftword", "reviewword", "scheduledword", "embargoed"])
def test_unpublished_articles_are_never_found(client, hidden_articles, word):
    assert found(word) == []
    response = client.get(f"/search/?q={word}")
    assert headlines_on(response) == []
    assert f"No stories match “{word}”" in response.content.decode()


def test_only_public_articles_count(client, hidden_articles):
    response = client.get("/search/?q=zebras")
    assert headlines_on(response) == ["Public story"]
    assert "1 story" in page_of(response).findtext(".//title")


def test_unpublishing_hides_at_once(make_article, editor):
    article = make_article("Envoy heads to Beijing", body="Text.")
    publishing.unpublish(article, by=editor)
    assert found("beijing") == []


def test_search_stays_inside_the_given_queryset(make_article):
    make_article("Asia summit", section="Asia", body="Summit.")
    make_article("World summit", section="World", body="Summit.")
    assert found("summit", Article.objects.published().filter(section__slug="asia")) == ["Asia summit"]
    assert found("summit", Article.objects.published().filter(pk__in=[])) == []
    assert found("summit", Article.objects.none()) == []


# Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", " ", "   \t  ", "!!!", '"', "\\", "*", "-", "OR", "or or", "NEAR(", '"unbalanced', '""', "()",
     "-blinken", "AND", "NOT", "^", "{headline}:", "headline:blinken", "a*", "'; DROP TABLE x; --",
     "%", "%%", "?", "the", "\u200b", "\u00ad"],
)  # fmt: skip
def test_odd_queries_answer_the_page_never_an_error(client, make_article, query):
    make_article("Blinken in Beijing", body="Headline talk: Blinken NEAR Beijing, unbalanced.")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    page = response.content.decode()
    assert "That request could not be understood" not in page


@pytest.mark.parametrize("query", ["!!!", '"', "\\", "*", "-", "OR", "-blinken", "the", "  "])
def test_queries_with_nothing_to_search_for_show_the_prompt(client, make_article, query):
    make_article("Blinken in Beijing", body="Text.")
    response = client.get("/search/", {"q": query})
    assert headlines_on(response) == []
    assert "Type a word" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NEAR(", []),
        ('"unbalanced', ["Odd one"]),
        ("unbalanced:budget", ["Odd one"]),  # a phrase of its words, like "well-known"
        ("headline:unbalanced", []),
        ("unbalanced*", ["Odd one"]),
        ("{body}: unbalanced", []),  # "body" is a word to find, not a column
        ("{unbalanced} ^budget", ["Odd one"]),
        ("unbalanced OR", ["Odd one"]),
        ("unbalanced -", ["Odd one"]),
        ('unbalanced "', ["Odd one"]),
        ("budget\\", ["Odd one"]),  # no escaping: a backslash is punctuation
        ('"budget\\" unbalanced', ["Odd one"]),
    ],
)
def test_syntax_characters_are_words_not_operators(make_article, query, expected):
    make_article("Odd one", body="An unbalanced budget.")
    assert found(query) == expected


def test_ten_kilobyte_query_is_a_bad_request(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    response = client.get("/search/", {"q": "blinken " * 1250})
    assert response.status_code == 400
    page = response.content.decode()
    assert "That request could not be understood" in page
    assert "at most 200 characters" in page


def test_query_length_limit_is_exact(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    assert client.get("/search/", {"q": "b" * MAX_QUERY_LENGTH}).status_code == 200
    assert client.get("/search/", {"q": "b" * (MAX_QUERY_LENGTH + 1)}).status_code == 400
    # Whitespace is collapsed before counting.
    assert client.get("/search/", {"q": "  blinken   " + " " * 300}).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["北京", "Erdoğan", "Ерд", "مرحبا", "🙂", "👩‍👩‍👧", "\u202eblinken", "blin\u0000ken", "e\u0301",
     "\ue000blinken\ue001", "\ud800", "ﬁ", "Ｂｌｉｎｋｅｎ", "\U0010ffff"],
)  # fmt: skip
def test_odd_unicode_is_searched_safely(client, make_article, query):
    make_article("Blinken meets Erdoğan in 北京", body="Talks.")
    response = client.get("/search/", {"q": query.encode("utf-8", "surrogatepass")})
    assert response.status_code == 200


def test_odd_unicode_matches_what_it_should(make_article):
    make_article("Blinken meets Erdoğan in 北京", body="Talks with Лавров.")
    assert found("erdoğan") == ["Blinken meets Erdoğan in 北京"]
    assert found("北京") == ["Blinken meets Erdoğan in 北京"]
    assert found("лавров") == ["Blinken meets Erdoğan in 北京"]
    assert found("\u202eblinken") == ["Blinken meets Erdoğan in 北京"]  # a bidi mark is dropped
    assert found("blin\u00adken") == ["Blinken meets Erdoğan in 北京"]  # so is a soft hyphen


def test_invalid_utf8_in_the_url_is_harmless(client, make_article):
    make_article("Blinken in Beijing", body="Text.")
    assert client.get("/search/?q=%ED%A0%80%FF%FEblinken").status_code == 200
    assert client.get("/search/?q=%00").status_code == 200


# The query language, as the two backends receive it ---------------------------------------------


def test_clean_query_tidies_and_limits():
    assert clean_query("  Blinken \t\n in   Beijing ") == "Blinken in Beijing"
    assert clean_query("a\x00b") == "a b"
    assert clean_query("soft\u00adhyphen") == "softhyphen"
    assert clean_query(None) == ""
    with pytest.raises(BadRequest, match="at most 200 characters"):
        clean_query("x" * 201)


@pytest.mark.parametrize(
    ("query", "websearch", "fts5"),
    [
        ("blinken beijing", '"blinken" "beijing"', '("blinken" AND "beijing")'),
        ('"human rights" china', '"human rights" "china"', '("human rights" AND "china")'),
        ("trade -tariffs", '"trade" -"tariffs"', '("trade") NOT ("tariffs")'),
        ("beijing or taipei", '"beijing" or "taipei"', '("beijing") OR ("taipei")'),
        ("well-known U.S.", '"well-known" "U.S."', '("well known" AND "U S")'),
        ('NEAR( "a* b', '"NEAR(" "a* b"', '("NEAR" AND "a b")'),
        ("or beijing or", '"beijing"', '("beijing")'),
        ("-blinken or china", '"china"', '("china")'),
        ("the of and", "", ""),
        ("!!! * - OR", "", ""),
    ],
)
def test_parse_query_gives_both_backends_the_same_meaning(query, websearch, fts5):
    parsed = parse_query(clean_query(query))
    assert parsed.websearch() == websearch
    assert parsed.fts5() == fts5
    assert parsed.has_terms == bool(websearch)


# The structures -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_index_structure_matches_the_database():
    tables = connection.introspection.table_names()
    if connection.vendor == "postgresql":
        assert {"articles_search_document", "articles_search_vector"} <= set(tables)
        with connection.cursor() as cursor:
            # The tsvector lives in the narrow table only, under a GIN index whose pending list (new
            # rows, merged in bulk) is kept small enough for a search to scan at no visible cost.
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'articles_search_vector'")
            assert any(
                "USING gin (document) WITH (fastupdate='on', gin_pending_list_limit='256')" in row[0]
                for row in cursor.fetchall()
            )
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'articles_search_document'")
            assert not any("gin" in row[0] for row in cursor.fetchall())
    else:
        assert "articles_search_index" in tables
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_search_index'")
            assert "fts5" in cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_migration_backfills_and_reverses(make_article):
    # Also proves a flush (TRUNCATE on PostgreSQL) still works with the index beside articles_article.
    make_article("Envoy heads to Beijing", tags=["China"], body="Talks on **fentanyl**.")
    call_command("migrate", "articles", "0003", verbosity=0)
    assert not {"articles_search_index", "articles_search_document"} & set(
        connection.introspection.table_names()
    )
    # Forward again for every app: going back unapplied what depends on articles (photos).
    call_command("migrate", verbosity=0)
    assert found("beijing") == ["Envoy heads to Beijing"]
    assert found("china fentanyl") == ["Envoy heads to Beijing"]
