"""Embargoes: a story under one cannot go out before its time, by any path or anyone; the desk sees
it in the form, the preview, the change list and its day; imports and exports carry it; and every
public surface keeps the story hidden until the time comes, with no job to run."""

import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import admin_site, publishing
from articles.exporting import export_articles
from articles.importing import import_paths
from articles.models import Article, Status, WorkflowError
from articles.preview import preview_token
from articles.search import search_articles
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
CHANGELIST = "/admin/articles/article/"
# The desk's clock in these tests, and the embargo three hours and twenty minutes later.
NOW = datetime(2031, 12, 9, 4, 40, tzinfo=UTC)
EMBARGO = datetime(2031, 12, 9, 8, 0, tzinfo=UTC)
REFUSAL = "Embargoed until Tue 9 Dec 08:00 UTC: it can be scheduled for then or later, not published before."


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def embargoed(clock, make_article):
    """A draft under embargo, in its own section, topic and byline."""
    return make_article(
        "Summit communique zyxembargoqwv",
        slug="summit-communique",
        section="Summits",
        authors=("Lin Wei",),
        tags=["Communique"],
        status=Status.DRAFT,
        published_at=None,
        embargoed_until=EMBARGO,
        body="The communique zyxembargoqwv says the talks went well.",
    )


def open_form(client, article):
    response = client.get(CHANGE.format(article.pk))
    assert response.status_code == 200
    page = response.content.decode()
    return page, form_data(page, "article_form")


def post_form(client, article, **changes):
    _, data = open_form(client, article)
    data.update(changes)
    response = client.post(CHANGE.format(article.pk), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def errors(page):
    return " ".join(re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S))


def stored(article):
    row = Article.objects.get(pk=article.pk)
    return row.status, row.published_at, row.embargoed_until


# The rule itself: in the database, for every path.


def test_the_database_refuses_a_story_out_before_its_embargo(embargoed):
    rows = Article.objects.filter(pk=embargoed.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(status=Status.PUBLISHED, published_at=EMBARGO - timedelta(minutes=1))
    rows.update(status=Status.PUBLISHED, published_at=EMBARGO)  # at the embargo: allowed
    assert Article.objects.scheduled().filter(pk=embargoed.pk).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(embargoed_until=EMBARGO + timedelta(hours=1))  # moving it past the schedule


def test_a_save_from_the_shell_is_refused_and_the_model_says_why(embargoed):
    embargoed.status, embargoed.published_at = Status.PUBLISHED, NOW
    with pytest.raises(IntegrityError), transaction.atomic():
        embargoed.save()
    with pytest.raises(Exception, match=re.escape(REFUSAL)):
        embargoed.full_clean()
    assert embargoed.embargo_problem() == REFUSAL


def test_the_refusal_holds_for_editors_too(embargoed, editor):
    embargoed.status, embargoed.published_at = Status.PUBLISHED, NOW
    with pytest.raises(WorkflowError, match=re.escape(REFUSAL)):
        embargoed.check_change_allowed(editor, Article.objects.get(pk=embargoed.pk))


def test_the_workflow_steps_refuse_and_change_nothing(embargoed, editor):
    with pytest.raises(WorkflowError, match=re.escape(REFUSAL)):
        publishing.publish(embargoed, by=editor)
    with pytest.raises(WorkflowError, match=re.escape(REFUSAL)):
        publishing.publish(embargoed, by=editor, at=EMBARGO - timedelta(seconds=1))
    assert stored(embargoed) == (Status.DRAFT, None, EMBARGO)
    assert embargoed.status == Status.DRAFT and embargoed.published_at is None  # the instance too
    publishing.publish(embargoed, by=editor, at=EMBARGO)
    assert stored(embargoed) == (Status.PUBLISHED, EMBARGO, EMBARGO)


# The story form.


def test_the_form_says_the_embargo_and_offers_publishing_at_it(client, editor, embargoed):
    client.force_login(editor)
    page, data = open_form(client, embargoed)
    state = re.search(r'id="story-state"><strong>(.*?)</strong>', page).group(1)
    assert state == "Draft · Embargoed until Tue 9 Dec 08:00 UTC (3 h 20 min)"
    actions = dict(re.findall(r'name="_action" value="(\w+)" data-confirm="([^"]*)"', page))
    assert "publish" not in actions  # no "Publish now" under an embargo
    assert actions["at_embargo"] == "Goes live by itself at Tue 9 Dec 08:00 UTC."
    assert "Publish at embargo (Tue 9 Dec 08:00 UTC)" in page
    assert (data["embargoed_until_0"], data["embargoed_until_1"]) == ("2031-12-09", "08:00:00")

    page = post_form(client, embargoed, _action="at_embargo")
    assert "Scheduled: goes live Tue 9 Dec 08:00 UTC." in page
    assert stored(embargoed) == (Status.PUBLISHED, EMBARGO, EMBARGO)
    state = re.search(r'id="story-state"><strong>(.*?)</strong>', page).group(1)
    assert state == "Scheduled for Tue 9 Dec 08:00 UTC · Embargoed until Tue 9 Dec 08:00 UTC (3 h 20 min)"
    assert 'value="at_embargo"' not in page  # already going out then


def test_scheduling_before_the_embargo_is_refused_and_the_typed_form_kept(client, editor, embargoed):
    client.force_login(editor)
    page = post_form(
        client,
        embargoed,
        _action="schedule",
        schedule_at_0="2031-12-09",
        schedule_at_1="07:59",
        headline="Summit communique, retitled",
    )
    assert REFUSAL in errors(page)
    assert 'value="Summit communique, retitled"' in page and 'value="07:59"' in page
    assert stored(embargoed) == (Status.DRAFT, None, EMBARGO)
    assert Article.objects.get(pk=embargoed.pk).headline == "Summit communique zyxembargoqwv"

    post_form(client, embargoed, _action="schedule", schedule_at_0="2031-12-09", schedule_at_1="09:30")
    assert stored(embargoed)[:2] == (Status.PUBLISHED, datetime(2031, 12, 9, 9, 30, tzinfo=UTC))


def test_the_schedule_line_warns_before_the_embargo(client, editor, embargoed):
    client.force_login(editor)
    url = "/admin/articles/article/schedule-line/"
    page = client.get(CHANGE.format(embargoed.pk)).content.decode()
    assert f'data-article="{embargoed.pk}"' in page
    early = client.get(url, {"date": "2031-12-09", "time": "07:30", "article": embargoed.pk})
    assert early.status_code == 400 and early.json() == {"error": REFUSAL}
    on_time = client.get(url, {"date": "2031-12-09", "time": "08:00", "article": embargoed.pk})
    assert on_time.json() == {"line": "Goes live Tue 9 Dec 08:00 UTC."}
    assert client.get(url, {"date": "2031-12-09", "time": "07:30", "article": ""}).status_code == 200


@pytest.mark.parametrize(
    "forged",
    [
        {"_action": "publish"},
        {"status": Status.PUBLISHED, "published_at_0": "2031-12-09", "published_at_1": "05:00:00.000000"},
        {"status": Status.PUBLISHED, "published_at_0": "", "published_at_1": ""},  # "published" means now
    ],
    ids=["publish-now", "earlier-time", "no-time"],
)
def test_an_editors_forged_post_is_refused_with_the_reason(client, editor, embargoed, forged):
    client.force_login(editor)
    page = post_form(client, embargoed, **forged)
    assert REFUSAL in errors(page)
    assert "Traceback" not in page and stored(embargoed) == (Status.DRAFT, None, EMBARGO)


def test_an_editor_may_lift_the_embargo_and_then_publish(client, editor, embargoed):
    client.force_login(editor)
    post_form(client, embargoed, embargoed_until_0="", embargoed_until_1="", _action="publish")
    assert stored(embargoed) == (Status.PUBLISHED, NOW, None)


def test_moving_the_embargo_past_the_schedule_is_refused(client, editor, embargoed):
    publishing.publish(embargoed, by=editor, at=EMBARGO)
    client.force_login(editor)
    page = post_form(client, embargoed, embargoed_until_0="2031-12-10", embargoed_until_1="08:00")
    assert "Embargoed until Wed 10 Dec 08:00 UTC: it can be scheduled for then or later" in errors(page)
    assert stored(embargoed) == (Status.PUBLISHED, EMBARGO, EMBARGO)


def test_a_reporter_sees_the_embargo_but_cannot_change_it(client, reporter, embargoed):
    client.force_login(reporter)
    page, data = open_form(client, embargoed)
    assert "embargoed_until_0" not in data  # disabled: a browser sends nothing
    assert re.search(r'name="embargoed_until_0"[^>]*disabled', page)
    post_form(client, embargoed, body="Edited by the reporter.")  # a plain save keeps it
    assert stored(embargoed) == (Status.DRAFT, None, EMBARGO)

    for forged in ({"embargoed_until_0": "2031-12-08", "embargoed_until_1": "08:00"},
                   {"embargoed_until_0": "", "embargoed_until_1": ""}):  # fmt: skip
        page = post_form(client, embargoed, **forged)
        assert "Only an editor can change “Embargoed until (UTC)”." in errors(page)
        assert stored(embargoed) == (Status.DRAFT, None, EMBARGO)


def test_a_reporter_cannot_set_an_embargo_by_any_path(reporter, make_article, clock):
    draft = make_article("Draft", status=Status.DRAFT, published_at=None)
    before = Article.objects.get(pk=draft.pk)
    draft.embargoed_until = EMBARGO
    with pytest.raises(WorkflowError, match="Only an editor can set, move or lift an embargo."):
        draft.check_change_allowed(reporter, before)


def test_restoring_a_published_revision_cannot_bypass_the_embargo(client, editor, make_article, clock):
    story = make_article("Summit communique", published_at=NOW - timedelta(hours=1))
    published_revision = story.history.get()
    publishing.unpublish(story, by=editor)
    Article.objects.filter(pk=story.pk).update(embargoed_until=EMBARGO)  # an editor's embargo
    client.force_login(editor)
    url = f"/admin/articles/article/{story.pk}/history/{published_revision.history_id}/"
    page = client.get(url).content.decode()
    data = form_data(page, "historicalarticle_form")
    assert data["status"] == Status.PUBLISHED
    assert data["embargoed_until_0"] == "2031-12-09"  # the embargo as it stands now, not the revision's
    response = client.post(url, data)
    assert response.status_code == 200
    assert REFUSAL in errors(response.content.decode())
    assert stored(story) == (Status.DRAFT, None, EMBARGO)


# Bulk actions.


def test_bulk_actions_refuse_to_publish_before_the_embargo(client, editor, embargoed, make_article):
    other = make_article("Free to go", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = client.post(
        CHANGELIST, {"action": "publish_now", "_selected_action": [embargoed.pk, other.pk]}, follow=True
    ).content.decode()
    assert f"“{embargoed.headline}”: {REFUSAL}" in page and "1 article published." in page
    assert stored(embargoed) == (Status.DRAFT, None, EMBARGO)

    schedule = {"action": "schedule", "_selected_action": [embargoed.pk], "apply": "1"}
    page = client.post(
        CHANGELIST, {**schedule, "publish_at_0": "2031-12-09", "publish_at_1": "07:00"}, follow=True
    ).content.decode()
    assert REFUSAL in page and stored(embargoed) == (Status.DRAFT, None, EMBARGO)
    client.post(CHANGELIST, {**schedule, "publish_at_0": "2031-12-09", "publish_at_1": "08:00"})
    assert stored(embargoed) == (Status.PUBLISHED, EMBARGO, EMBARGO)


# The preview.


def test_the_preview_says_the_story_is_embargoed_and_until_when(client, embargoed, settings):
    settings.TIME_ZONE = "America/New_York"
    with timezone.override("America/New_York"):
        page = client.get(f"/preview/{preview_token(embargoed)}/").content.decode()
    assert "Embargoed until Tue 9 Dec 03:00 EST." in page
    with time_machine.travel(EMBARGO + timedelta(minutes=1), tick=False):
        page = client.get(f"/preview/{preview_token(embargoed)}/").content.decode()
    assert "Embargoed until" not in page  # lifted


# The change list and the desk's day.


def test_the_change_list_filters_the_embargoed_and_shows_the_time_left(
    client, editor, embargoed, make_article
):
    make_article("Lifted", embargoed_until=NOW - timedelta(hours=2), published_at=NOW - timedelta(hours=1))
    make_article("No embargo")
    client.force_login(editor)
    response = client.get(CHANGELIST, {"embargoed": "ahead"})
    assert [story.headline for story in response.context["cl"].result_list] == [embargoed.headline]
    assert "Tue 9 Dec 08:00 UTC · 3 h 20 min left" in response.content.decode()
    page = client.get(CHANGELIST).content.decode()
    assert "Tue 9 Dec 02:40 UTC · lifted" in page


def test_time_left_is_worded_as_the_desk_says_it(embargoed):
    for moved, left in [
        (timedelta(0), "3 h 20 min left"),
        (timedelta(hours=3), "20 min left"),
        (timedelta(hours=3, minutes=19, seconds=30), "under a minute left"),
        (timedelta(hours=-48), "2 d 3 h left"),
        (timedelta(hours=3, minutes=20), "lifted"),
    ]:
        with time_machine.travel(NOW + moved, tick=False):
            assert embargoed.embargo_left == left


def embargoed_block(page):
    table = page[page.index('id="day-embargoed"') :].split("</table>")[0]
    count = int(re.search(r"Embargoed \((\d+)\)", table).group(1))
    rows = re.findall(
        r'<a href="/admin/articles/article/\d+/change/">(.*?)</a></td>.*?\((.*?)\)</span>', table, re.S
    )
    return count, rows


@pytest.mark.parametrize("size", [1, 8])
def test_the_desks_day_lists_the_embargoed_soonest_first_in_fixed_queries(
    client, editor, clock, make_article, django_assert_num_queries, size
):
    for n in range(size):
        make_article(
            f"Embargoed {n}",
            status=Status.DRAFT,
            published_at=None,
            embargoed_until=EMBARGO + timedelta(hours=size - n),
        )
    make_article("Lifted", embargoed_until=NOW - timedelta(hours=2), published_at=NOW - timedelta(hours=1))
    client.force_login(editor)
    client.get("/admin/")  # the session and permission caches
    blocks = len(admin_site.editors_day(editor))
    with django_assert_num_queries(7 + 2 * blocks):
        page = client.get("/admin/").content.decode()
    count, rows = embargoed_block(page)
    assert count == size
    assert rows[0] == ("Embargoed " + str(size - 1), "4 h 20 min left")
    assert [headline for headline, _ in rows] == [f"Embargoed {n}" for n in reversed(range(size))]
    assert "Lifted" not in [headline for headline, _ in rows]


# Import and export.


def test_export_then_import_keeps_the_embargo(embargoed, make_article, tmp_path):
    scheduled = make_article("At the embargo", published_at=EMBARGO, embargoed_until=EMBARGO)
    plain = make_article("No embargo")
    for fmt in ("md", "json"):
        out = tmp_path / fmt
        export_articles(out, format=fmt)
        if fmt == "md":
            text = (out / f"{scheduled.slug}.md").read_text()
            assert (
                "published_at: '2031-12-09T08:00:00+00:00'\nembargoed_until: '2031-12-09T08:00:00+00:00'\n"
                in text
            )
            assert "embargoed_until" not in (out / f"{plain.slug}.md").read_text()
        else:
            data = {item["slug"]: item for item in json.loads((out / "articles.json").read_text())}
            assert data[embargoed.slug]["embargoed_until"] == "2031-12-09T08:00:00+00:00"
            assert "embargoed_until" not in data[plain.slug]
        Article.objects.all().delete()
        report = import_paths([out])
        assert report.problems == [] and report.created == 3, fmt
        assert Article.objects.get(slug=embargoed.slug).embargoed_until == EMBARGO
        assert stored(Article.objects.get(slug=scheduled.slug)) == (Status.PUBLISHED, EMBARGO, EMBARGO)
        assert Article.objects.get(slug=plain.slug).embargoed_until is None


def front(*lines):
    return "---\n" + "".join(line + "\n" for line in lines) + "---\nThe body.\n"


@pytest.mark.parametrize(
    "lines, line, reason",
    [
        (
            [
                "status: published",
                "published_at: 2031-12-09T07:00:00+00:00",
                "embargoed_until: 2031-12-09T08:00:00+00:00",
            ],
            4,
            "published_at 2031-12-09T07:00:00+00:00 is before the embargo, 2031-12-09T08:00:00+00:00: an "
            "embargoed story can be scheduled for then or later, not published before",
        ),
        (
            ["status: published", "embargoed_until: 2031-12-09T08:00:00+00:00"],
            4,
            "embargoed until 2031-12-09T08:00:00+00:00, but published with no published_at goes out now; "
            "give a published_at at the embargo or later to schedule it",
        ),
        (
            ["embargoed_until: next tuesday"],
            3,
            "embargoed_until 'next tuesday' is not an ISO 8601 date and time with a UTC offset; write it "
            "like 2023-06-18T09:30:00+08:00",
        ),
    ],
    ids=["before", "now", "not-a-time"],
)
def test_a_file_publishing_before_its_embargo_is_refused(db, clock, write, lines, line, reason):
    good = write("good.md", front("title: Good one"))
    bad = write("bad.md", front("title: Too early", *lines))
    report = import_paths([good, bad])
    assert [str(problem) for problem in report.problems] == [f"{bad}:{line}: {reason}"]
    assert not Article.objects.exists()  # all or nothing


def test_a_file_scheduling_at_its_embargo_imports_as_scheduled(db, clock, write):
    path = write("ok.md", front(
        "title: On time", "status: published",
        "published_at: 2031-12-09T09:00:00+01:00", "embargoed_until: 2031-12-09T09:00:00+01:00",
    ))  # fmt: skip
    assert import_paths([path]).problems == []
    assert stored(Article.objects.get()) == (Status.PUBLISHED, EMBARGO, EMBARGO)


def test_a_reimport_cannot_publish_a_story_embargoed_here_earlier(db, clock, write):
    path = write("story.md", front("title: Story", "source_id: s1"))
    import_paths([path])
    Article.objects.update(embargoed_until=EMBARGO)  # an editor set it here
    write("story.md", front("title: Story", "source_id: s1", "status: published"))
    report = import_paths([path])
    assert [str(problem) for problem in report.problems] == [
        f"{path}:4: the story this file updates is embargoed until Tue 9 Dec 08:00 UTC: it can be "
        "scheduled for then or later, not published before."
    ]
    assert stored(Article.objects.get()) == (Status.DRAFT, None, EMBARGO)


# Every public surface keeps it hidden until the time comes.


@pytest.fixture
def scheduled_at_embargo(embargoed, editor, make_article):
    """The embargoed story scheduled for its embargo, beside a public story in the same places."""
    public = make_article(
        "Public summit story", section="Summits", authors=("Lin Wei",), tags=["Summit"], body="Summit talks."
    )
    embargoed.tags.add(*public.tags.all())
    publishing.publish(embargoed, by=editor, at=EMBARGO)
    return public, Article.objects.get(pk=embargoed.pk)


SURFACES = [
    "/", "/articles/", "/articles/?tag=summit", "/articles/?section=summits", "/sections/summits/",
    "/tags/", "/tags/summit/", "/authors/lin-wei/", "/search/?q=summit", "/search/?q=communique",
    "/feeds/latest/", "/feeds/latest/atom/", "/feeds/sections/summits/", "/feeds/tags/summit/",
    "/feeds/authors/lin-wei/", "/feeds/authors/lin-wei/atom/",
    "/sitemap.xml", "/sitemap-articles.xml", "/news-sitemap.xml",
    "/api/articles/", "/api/articles/?q=communique", "/api/articles/?tag=summit", "/api/tags/",
    "/api/sections/",
]  # fmt: skip


def test_an_embargoed_story_is_hidden_everywhere_until_its_time(client, scheduled_at_embargo):
    public, story = scheduled_at_embargo
    for url in [*SURFACES, public.get_absolute_url()]:  # the public story's page has the related box
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "zyxembargoqwv" not in text and story.slug not in text, url
        assert "Communique" not in text, url  # its own topic is unknown to readers
    for url in (story.get_absolute_url(), f"/api/articles/{story.slug}/", "/tags/communique/",
                "/feeds/tags/communique/"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_an_embargoed_story_goes_public_at_its_time_with_no_job(client, scheduled_at_embargo):
    public, story = scheduled_at_embargo
    with time_machine.travel(EMBARGO + timedelta(seconds=1), tick=False):
        assert client.get(story.get_absolute_url()).status_code == 200
        assert client.get(f"/api/articles/{story.slug}/").status_code == 200
        assert client.get("/tags/communique/").status_code == 200
        for url in ("/", "/articles/", "/sections/summits/", "/tags/summit/", "/authors/lin-wei/"):
            assert story.headline in client.get(url).content.decode(), url
        assert "Communique" in client.get("/tags/").content.decode()
        feed = feedparser.parse(client.get("/feeds/latest/").content)
        assert story.headline in [entry.title for entry in feed.entries]
        related = client.get(public.get_absolute_url()).content.decode()
        assert story.headline in related


def test_a_refusal_in_a_later_batch_rolls_back_the_batches_before_it(db, clock, write, monkeypatch):
    """Batches written before the refused one, their search rows included (written by PostgreSQL
    while the next batch is made ready: search.start_indexing), are rolled back with it."""
    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 1)
    paths = [write(f"{name}.md", front(f"title: Story {name}", f"source_id: {name}")) for name in "abc"]
    import_paths(paths)
    Article.objects.filter(source_id="c").update(embargoed_until=EMBARGO)
    for name in "abc":
        write(f"{name}.md", front(f"title: Story {name} again", f"source_id: {name}", "status: published"))
    report = import_paths(paths)
    assert [str(problem) for problem in report.problems] == [
        f"{paths[2]}:4: the story this file updates is embargoed until Tue 9 Dec 08:00 UTC: it can be "
        "scheduled for then or later, not published before."
    ]
    assert sorted(Article.objects.values_list("headline", "status")) == [
        ("Story a", Status.DRAFT), ("Story b", Status.DRAFT), ("Story c", Status.DRAFT),
    ]  # fmt: skip
    assert list(search_articles("again", Article.objects.all())) == []
    # The connection is left as it was: the next import (bylines and tags by COPY) goes through.
    fine = write("d.md", front("title: Story d", "source_id: d", "authors: [Ana Ruiz]", "tags: [China]"))
    assert import_paths([fine]).problems == []
    assert Article.objects.get(source_id="d").bylines.get().author.name == "Ana Ruiz"
