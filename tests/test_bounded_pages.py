"""What keeps a public page's cost flat as the archive grows, as a reader sees it.

The front page reads a few stories per section, related coverage is chosen among recent stories,
topic facets come from the newest matches and pagination shows a handful of links. Each is checked
here with a small window, so the edge shows without thousands of stories.
"""

from datetime import timedelta

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from lxml import html

from articles import views
from articles.addresses import slug_address
from articles.models import Article, Section, Status, story_queries


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return html.fromstring(response.content)


def test_newest_stories_of_every_section_and_nothing_hidden(make_article):
    now = timezone.now()
    for n in range(4):
        make_article(f"World {n}", section="World", published_at=now - timedelta(hours=n + 1))
    make_article("Asia only", section="Asia", published_at=now - timedelta(days=30))
    make_article("World draft", section="World", status=Status.DRAFT, published_at=None)
    make_article("World scheduled", section="World", published_at=now + timedelta(hours=1))
    Section.objects.create(name="Empty", slug="empty")  # a section with no story adds nothing

    top = Article.objects.published().top_per_section(2).order_by("section__name", "-published_at")
    assert [article.headline for article in top] == ["Asia only", "World 0", "World 1"]


def test_front_page_section_blocks_leave_out_the_lead(client, make_article):
    now = timezone.now()
    make_article("Lead", section="World", published_at=now - timedelta(minutes=1))
    for n in range(5):
        make_article(f"World {n}", section="World", published_at=now - timedelta(hours=n + 1))
    front = page(client, "/")
    block = front.xpath('//section[@aria-labelledby="section-world"]')[0]
    assert [a.text_content().strip() for a in block.xpath(".//h3/a")] == [f"World {n}" for n in range(4)]


def test_related_coverage_is_chosen_among_the_newest_stories_sharing_a_tag(client, make_article, monkeypatch):
    now = timezone.now()
    story = make_article("Main story", tags=["China", "Trade", "Taiwan"], published_at=now)
    old = now - timedelta(days=90)
    make_article("Old, shares three", tags=["China", "Trade", "Taiwan"], published_at=old)
    for n in range(3):
        make_article(f"Recent {n}", tags=["China"], published_at=now - timedelta(hours=n + 1))

    def related():
        box = page(client, story.get_absolute_url()).xpath('//*[@id="related-heading"]/..')
        return [a.text_content().strip() for a in box[0].xpath(".//li/a")] if box else []

    assert related()[0] == "Old, shares three"  # within the window, the most shared tags lead
    monkeypatch.setattr(story_queries, "RELATED_CANDIDATES", 3)
    assert related() == ["Recent 0", "Recent 1", "Recent 2"]


def facet_names_and_counts(tree):
    facets = {}
    for link in tree.xpath('//section[@class="facets"]//a[@class="tag"]'):
        counts = link.xpath('span[@class="tag__count"]')
        facets[link.xpath("normalize-space(text())")] = [c.xpath("normalize-space(text())") for c in counts]
    return facets


def test_facets_come_from_the_newest_matches_with_counts_only_when_exact(client, make_article, monkeypatch):
    now = timezone.now()
    make_article("Oldest", tags=["China", "Brazil"], published_at=now - timedelta(days=9))
    for n in range(3):
        make_article(f"Recent {n}", tags=["China", "Trade"], published_at=now - timedelta(hours=n + 1))

    assert facet_names_and_counts(page(client, "/articles/")) == {
        "China": ["4"], "Trade": ["3"], "Brazil": ["1"],
    }  # fmt: skip

    monkeypatch.setattr(views, "FACET_SAMPLE", 3)
    everything = page(client, "/articles/")
    # Brazil is only on a story older than the newest three; counts of a sample would mislead.
    assert facet_names_and_counts(everything) == {"China": [], "Trade": []}
    assert "4 stories" in everything.xpath('normalize-space(//p[@class="list-header__count"])')
    # Three matches fit the sample: the counts are exact again.
    assert facet_names_and_counts(page(client, "/articles/?tag=trade")) == {"China": ["3"]}


def test_pagination_shows_first_last_and_neighbours_only(client, make_article, monkeypatch):
    monkeypatch.setattr(views.FilteredArticleList, "paginate_by", 1)
    for n in range(30):
        make_article(f"Story {n}")
    nav = page(client, "/articles/?page=15").xpath('//nav[@class="pagination"]')[0]
    numbered = [a.xpath("normalize-space(text()[last()])") for a in nav.xpath(".//a[not(@rel)]")]
    assert numbered == ["1", "14", "15", "16", "30"]
    assert nav.xpath('.//a[@aria-current="page"]/@href') == ["?page=15"]
    assert len(nav.xpath('.//span[@class="pagination__gap"]')) == 2
    assert nav.xpath('.//a[@rel="prev"]/@href') == ["?page=14"]
    assert nav.xpath('.//a[@rel="next"]/@href') == ["?page=16"]


@pytest.mark.parametrize("route", ["articles:detail", "articles:section", "articles:tag", "articles:author"])
@pytest.mark.parametrize("prefix", ["/", "/news/"])
def test_addresses_match_reverse(route, prefix):
    set_script_prefix(prefix)
    try:
        for slug in ["china", "us-china-relations-2", "a_b"]:
            assert slug_address(route, slug) == reverse(route, kwargs={"slug": slug})
    finally:
        set_script_prefix("/")


def test_an_author_page_is_counted_and_ordered_from_the_bylines_and_follows_every_change(
    client, make_article, make_author, tmp_path
):
    """The author page counts and orders through the bylines' copy of the release time: a story
    unpublished, rescheduled or moved in time leaves or moves on the page at once, and so does one
    an import brings in or changes."""
    from articles.importing import import_paths

    now = timezone.now()
    older = make_article("Older", authors=["Ana Ruiz"], published_at=now - timedelta(days=3))
    newer = make_article("Newer", authors=["Ana Ruiz", "Wang Yi"], published_at=now - timedelta(days=1))
    make_article("Draft", authors=["Ana Ruiz"], status=Status.DRAFT, published_at=None)
    make_article("Scheduled", authors=["Ana Ruiz"], published_at=now + timedelta(hours=2))
    make_article("Someone else's", authors=["Wang Yi"])

    def shown():
        tree = page(client, "/authors/ana-ruiz/")
        headlines = [a.text_content().strip() for a in tree.xpath('//ol[@class="card-list"]//h2/a')]
        return headlines, tree.xpath('//p[@class="list-header__count"]')[0].text_content().strip()

    headlines, text = shown()
    assert headlines == ["Newer", "Older"]
    assert text == "2 stories"

    older.published_at = now - timedelta(hours=1)  # moved to the top
    older.save()
    assert shown()[0] == ["Older", "Newer"]

    newer.status = Status.DRAFT  # taken down: gone from the page and the count
    newer.save()
    headlines, text = shown()
    assert headlines == ["Older"]
    assert text == "1 story"

    story = tmp_path / "imported.md"
    story.write_text(
        "---\ntitle: Imported\nauthors: [Ana Ruiz]\nsection: World\nstatus: published\n"
        f"published_at: {(now - timedelta(minutes=5)).isoformat()}\n---\n\nThe body.\n"
    )
    assert import_paths([story]).created == 1
    assert shown()[0] == ["Imported", "Older"]
    story.write_text(story.read_text().replace("status: published", "status: draft"))
    assert import_paths([story]).updated == 1
    headlines, text = shown()
    assert headlines == ["Older"]
    assert text == "1 story"


@pytest.mark.parametrize("url", ["/articles/?page=3", "/tags/china/?page=3", "/authors/ana-ruiz/?page=3"])
def test_a_deep_page_lists_the_same_stories_in_the_same_order_as_the_list_itself(client, make_article, url):
    """Page 3 is read by ids first (BoundedPaginator): the stories 41 to 45, newest first, with
    nothing hidden slipping in."""
    now = timezone.now()
    for n in range(45):
        make_article(f"Story {n:02}", tags=["China"], published_at=now - timedelta(hours=n + 1))
    make_article("Draft", tags=["China"], status=Status.DRAFT, published_at=None)
    make_article("Scheduled", tags=["China"], published_at=now + timedelta(hours=1))
    headlines = [a.text_content().strip() for a in page(client, url).xpath('//ol[@class="card-list"]//h2/a')]
    assert headlines == [f"Story {n:02}" for n in range(40, 45)]
