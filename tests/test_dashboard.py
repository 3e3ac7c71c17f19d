"""The desk's day on the admin index: each block's count is the change list it links to."""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import admin_site
from articles.models import Article, Correction, Status

MADRID = ZoneInfo("Europe/Madrid")
# Noon in Madrid (11:00 UTC): the desk's day and UTC's differ around midnight, which the stories use.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=MADRID)
CAPTIONS = {
    "drafts": "Drafts",
    "in_review": "In review",
    "scheduled_today": "Scheduled for later today",
    "scheduled_tomorrow": "Scheduled for tomorrow",
    "embargoed": "Embargoed",
    "published_today": "Published today",
    "corrected": "Corrected in the last 7 days",
    "mine": "My stories in hand (draft or in review)",
}


@pytest.fixture(autouse=True)
def desk_in_madrid(settings):
    settings.TIME_ZONE = "Europe/Madrid"


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False):
        yield


def madrid(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def desk(clock, make_article, editor, reporter):
    """Stories in every block, and next to every edge of one."""
    draft = {"status": Status.DRAFT, "published_at": None}
    make_article("Rita's draft", created_by=reporter, **draft)
    make_article("Imported draft", **draft)  # an import has no creator
    make_article("Ed's draft", created_by=editor, **draft)
    make_article("Ed's story in review", created_by=editor, status=Status.REVIEW, published_at=None)
    make_article("Rita's story in review", created_by=reporter, status=Status.REVIEW, published_at=None)
    make_article("Out at six", published_at=madrid(10, 18))
    make_article("Out before midnight", published_at=madrid(10, 23, 30))  # 22:30 UTC
    make_article("Out just after midnight", published_at=madrid(11, 0, 30))  # 23:30 UTC, the 10th
    make_article("Out the day after tomorrow", published_at=madrid(12, 9), embargoed_until=madrid(12, 9))
    # Its embargo lifted at eight: no longer embargoed.
    make_article(
        "Ed's morning story", created_by=editor, published_at=madrid(10, 8), embargoed_until=madrid(10, 8)
    )
    make_article("Out at half past midnight", published_at=madrid(10, 0, 30))  # 23:30 UTC, the 9th
    make_article("Out late yesterday", published_at=madrid(9, 23, 30))
    twice = make_article("Corrected twice", published_at=madrid(1, 9))
    Correction.objects.create(article=twice, date=NOON - timedelta(days=1), text="A name.")
    Correction.objects.create(article=twice, date=NOON - timedelta(days=2), text="A date.")
    long_ago = make_article("Corrected long ago", published_at=madrid(1, 9))
    Correction.objects.create(article=long_ago, date=NOON - timedelta(days=8), text="A title.")


EXPECTED = {
    "drafts": {"Rita's draft", "Imported draft", "Ed's draft"},
    "in_review": {"Ed's story in review", "Rita's story in review"},
    "scheduled_today": {"Out at six", "Out before midnight"},
    "scheduled_tomorrow": {"Out just after midnight"},
    "embargoed": {"Out the day after tomorrow"},
    "published_today": {"Ed's morning story", "Out at half past midnight"},
    "corrected": {"Corrected twice"},
    "mine": {"Ed's draft", "Ed's story in review"},
}


def day_blocks(page):
    """Each block of the index page: its count, the change list it links to, its rows' headlines
    and where each leads."""
    blocks = {}
    for key in CAPTIONS:
        table = page[page.index(f'id="day-{key}"') :].split("</table>")[0]
        link = re.search(r'<caption><a class="editors-day__count" href="([^"]+)">(.*?) \((\d+)\)</a>', table)
        rows = re.findall(r'<td><a href="(/admin/articles/article/\d+/change/)">(.*?)</a></td>', table)
        blocks[key] = {
            "url": unescape(link.group(1)),
            "caption": link.group(2),
            "count": int(link.group(3)),
            "rows": {unescape(headline): url for url, headline in rows},
        }
    return blocks


def change_list(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert "?e=1" not in response.get("Location", ""), url  # an unknown filter parameter
    changelist = response.context["cl"]
    return changelist.result_count, {article.headline for article in changelist.result_list}


def test_each_block_counts_what_its_change_list_shows(client, editor, desk):
    client.force_login(editor)
    blocks = day_blocks(client.get("/admin/").content.decode())
    for key, expected in EXPECTED.items():
        block = blocks[key]
        assert block["caption"] == CAPTIONS[key]
        assert set(block["rows"]) == expected, key
        assert block["count"] == len(expected), key
        count, listed = change_list(client, block["url"])
        assert (count, listed) == (block["count"], expected), key


def test_rows_lead_to_each_storys_form(client, editor, desk):
    client.force_login(editor)
    blocks = day_blocks(client.get("/admin/").content.decode())
    url = blocks["in_review"]["rows"]["Rita's story in review"]
    story = Article.objects.get(headline="Rita's story in review")
    assert url == f"/admin/articles/article/{story.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "Rita&#x27;s story in review" in page.content.decode()


def test_imported_drafts_count_among_the_drafts(client, editor, clock, make_article):
    for n in range(3):
        make_article(f"Imported {n}", status=Status.DRAFT, published_at=None, source_name="wxr")
    client.force_login(editor)
    drafts = day_blocks(client.get("/admin/").content.decode())["drafts"]
    assert drafts["count"] == 3
    assert change_list(client, drafts["url"])[0] == 3


def test_my_block_is_each_users_own(client, reporter, desk):
    client.force_login(reporter)
    mine = day_blocks(client.get("/admin/").content.decode())["mine"]
    assert set(mine["rows"]) == {"Rita's draft", "Rita's story in review"}
    assert change_list(client, mine["url"]) == (2, {"Rita's draft", "Rita's story in review"})


def test_a_long_block_shows_its_first_rows_and_its_whole_count(client, editor, clock, make_article):
    for n in range(admin_site.EDITORS_DAY_ROWS + 5):
        make_article(f"Draft {n}", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = client.get("/admin/").content.decode()
    drafts = day_blocks(page)["drafts"]
    assert len(drafts["rows"]) == admin_site.EDITORS_DAY_ROWS
    assert drafts["count"] == admin_site.EDITORS_DAY_ROWS + 5 == change_list(client, drafts["url"])[0]
    assert f"All {admin_site.EDITORS_DAY_ROWS + 5}…" in page


def a_day_of(make_article, editor, size):
    """``size`` stories in each block."""
    for n in range(size):
        make_article(f"Draft {n}", status=Status.DRAFT, published_at=None, created_by=editor)
        make_article(f"Review {n}", status=Status.REVIEW, published_at=None, created_by=editor)
        make_article(f"Later {n}", published_at=madrid(10, 20, n))
        make_article(f"Tomorrow {n}", published_at=madrid(11, 10, n))
        make_article(f"Embargoed {n}", published_at=madrid(12, 8, n), embargoed_until=madrid(12, 8, n))
        story = make_article(f"Morning {n}", published_at=madrid(10, 9, n), updated_by=editor)
        Correction.objects.create(article=story, date=NOON - timedelta(hours=1), text="Fixed.")


@pytest.mark.parametrize("size", [1, 12])
def test_the_day_takes_the_same_queries_whatever_the_data(
    client, editor, clock, make_article, django_assert_num_queries, size
):
    a_day_of(make_article, editor, size)
    client.force_login(editor)
    client.get("/admin/")  # the session and permission caches, as on any later visit
    # The index's own seven (session, user, authenticator twice, the user's and groups' permissions,
    # recent actions), then a count and the first rows for each block.
    with django_assert_num_queries(7 + 2 * len(CAPTIONS)):
        response = client.get("/admin/")
    assert response.status_code == 200
    blocks = day_blocks(response.content.decode())
    assert all(block["count"] == size for key, block in blocks.items() if key != "mine")
    assert blocks["mine"]["count"] == 2 * size


def test_a_user_who_cannot_see_stories_gets_no_day(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(user)
    assert 'id="editors-day"' not in client.get("/admin/").content.decode()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans; PostgreSQL's depend on statistics")
def test_each_block_reads_an_index_not_the_archive(clock, editor, make_article):
    """A million stories: every block is read through an index, none by scanning the stories'
    table or the corrections' (SQLite's plan says "SCAN table" without "USING ... INDEX")."""
    a_day_of(make_article, editor, 1)
    editor.has_perm("articles.view_article")  # the permission cache
    with CaptureQueriesContext(connection) as queries:
        admin_site.editors_day(editor)
    assert len(queries) == 2 * len(CAPTIONS)
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plan = [row[-1] for row in cursor.fetchall()]
            scans = [step for step in plan if step.startswith("SCAN") and "INDEX" not in step]
            assert not scans, (query["sql"], plan)
