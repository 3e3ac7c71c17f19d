"""The read replica (newsroom/replica.py) on a real PostgreSQL primary and streaming replica that this
module starts (perf/pgcluster.py), behind the site served by gunicorn as in production.

What is observed is what a reader or an editor would notice: with the replica's replay paused, a
change saved on the primary is missing from an anonymous reader's page (which is read from the
replica) but on the editor's own pages at once; once the replica lags past the limit, or is down,
readers get the primary's pages, and never an error.
"""

import json
import time
import uuid

import psycopg
import pytest
import requests
from django.db import router

from articles.models import Article
from newsroom.replica import ReplicaRouter, caught_up, replica_reads, replica_status
from perf.harness import Site, manage, site_env
from perf.pgcluster import PostgresCluster, missing_reason
from tests.formdata import form_data

MAX_LAG = 5  # NEWSROOM_REPLICA_MAX_LAG of the site under test, seconds
PASSWORD = "a long password for the replica tests"
CHANGE = "/admin/articles/article/{}/change/"

needs_postgres = pytest.mark.skipif(
    missing_reason() is not None, reason=f"needs PostgreSQL's server binaries: {missing_reason()}"
)

# One process for the whole set-up (each manage.py start costs a second or two): migrations, the
# sample coverage and an editor, all written on the primary.
SETUP = f"""
import json
from django.contrib.auth.models import User
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_sample_content", verbosity=0)
from articles.models import Article
User.objects.create_superuser("editor", "editor@example.org", {PASSWORD!r})
story = Article.objects.published().order_by("-published_at").first()
story.headline = "Envoy arrives in Beijing"  # plain words: found in the page as typed
story.save()
print(json.dumps({{"pk": story.pk, "path": story.get_absolute_url(), "headline": story.headline}}))
"""

# The router and caught_up() as a process with the site's settings sees them.
PROBE = """
import json
from django.db import router, transaction
from articles.models import Article
from newsroom.replica import caught_up, pinned_to_primary, replica_reads, replica_status
routes = {"outside a request": router.db_for_read(Article)}
with replica_reads():
    routes["anonymous read"] = router.db_for_read(Article)
    with pinned_to_primary():
        routes["pinned"] = router.db_for_read(Article)
    with transaction.atomic():
        routes["in a transaction"] = router.db_for_read(Article)
    routes["write"] = router.db_for_write(Article)
    routes["read after a write"] = router.db_for_read(Article)
print(json.dumps({"caught_up": caught_up(timeout=0.5), "status": replica_status(), "routes": routes}))
"""


@pytest.fixture(scope="module")
def cluster():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def site(cluster, collected_static):
    env = site_env(
        cluster.primary_url,
        static_root=collected_static,  # the session's (tests/conftest.py), collected with these settings
        DATABASE_REPLICA_URL=cluster.replica_url,
        NEWSROOM_REPLICA_MAX_LAG=str(MAX_LAG),
    )
    env.pop("NEWSROOM_REQUIRE_2FA", None)
    story = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    cluster.wait_replayed()
    with Site(env, workers=2) as served:
        served.story = story
        yield served


@pytest.fixture(scope="module")
def editor(site):
    """A requests session signed in through the admin's own form: it carries the session cookie."""
    session = requests.Session()
    login = session.get(f"{site.url}/admin/login/", timeout=10)
    answer = session.post(
        f"{site.url}/admin/login/",
        data={"username": "editor", "password": PASSWORD, "next": "/admin/",
              **{"csrfmiddlewaretoken": form_data(login.text, "login-form")["csrfmiddlewaretoken"]}},
        headers={"Referer": f"{site.url}/admin/login/"}, allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 302, "the editor could not sign in"
    return session


def save_headline(site, editor, headline):
    """The editor changes the story's headline through the admin's change form."""
    change = f"{site.url}{CHANGE.format(site.story['pk'])}"
    form = form_data(editor.get(change, timeout=10).text, "article_form")
    form["headline"] = headline
    answer = editor.post(change, data=form, headers={"Referer": change}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, f"the change form refused the save ({answer.status_code})"
    site.story["headline"] = headline


def fresh_replay(cluster):
    """A transaction on the primary, replayed: the replica's lag is counted from now, not from
    whenever the site last wrote. Returns the monotonic time just before that transaction: the
    lag measure counts from its commit, so a lag "over the limit" is timed from here (timing
    from after the replay was seen would be late by however long that wait took)."""
    before = time.monotonic()
    with psycopg.connect(cluster.primary_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS test_tick (at timestamptz)")
        conn.execute("INSERT INTO test_tick VALUES (now())")
    cluster.wait_replayed()
    return before


def reader_page(site):
    """The story's page as an anonymous reader gets it (no cookie)."""
    status, html = site.get(site.story["path"])
    assert status == 200
    return html


def probe(site, **env):
    return json.loads(manage({**site.env, **env}, "shell", "-c", PROBE).strip().splitlines()[-1])


@needs_postgres
def test_readers_read_the_replica_and_an_editor_sees_their_own_change_at_once(site, cluster, editor):
    previous = site.story["headline"]
    headline = f"Envoy extends Beijing visit {uuid.uuid4().hex[:8]}"
    paused_at = fresh_replay(cluster)
    cluster.pause_replay()
    try:
        save_headline(site, editor, headline)
        # The editor, signed in, reads the primary: their save is on the public page and the admin.
        assert headline in editor.get(f"{site.url}{site.story['path']}", timeout=10).text
        assert headline in editor.get(f"{site.url}{CHANGE.format(site.story['pk'])}", timeout=10).text
        # A reader gets the replica, which has not replayed the save (and lags under the limit).
        page = reader_page(site)
        assert time.monotonic() - paused_at < MAX_LAG - 1, "too slow to observe the replica in time"
        assert headline not in page and previous in page
    finally:
        cluster.resume_replay()
    cluster.wait_replayed()
    assert headline in reader_page(site)


@needs_postgres
def test_a_replica_lagging_past_the_limit_is_no_longer_read(site, cluster, editor):
    headline = f"Talks run into a second day {uuid.uuid4().hex[:8]}"
    paused_at = fresh_replay(cluster)
    cluster.pause_replay()
    try:
        save_headline(site, editor, headline)
        assert headline not in reader_page(site)  # still within the limit: the replica's page
        deadline = paused_at + MAX_LAG + 6
        while headline not in reader_page(site):
            assert time.monotonic() < deadline, "readers never fell back to the primary"
            time.sleep(0.1)
        fell_back_after = time.monotonic() - paused_at
        # Each process looks once a second: within a second or so every reader is on the primary.
        time.sleep(1.2)
        assert all(headline in reader_page(site) for _ in range(10))
        assert fell_back_after >= MAX_LAG - 0.5, f"fell back after {fell_back_after:.1f} s, under the limit"
    finally:
        cluster.resume_replay()
    cluster.wait_replayed()


@needs_postgres
def test_readers_are_served_from_the_primary_while_the_replica_is_down(site, cluster, editor):
    paths = [site.story["path"], "/", "/articles/", "/tags/", "/feeds/latest/", "/api/articles/"]
    for path in paths:  # every worker thread holds an open replica connection now
        assert site.get(path)[0] == 200
    cluster.stop_replica()
    try:
        statuses = [site.get(path)[0] for path in paths * 4]
        assert statuses == [200] * len(statuses)
        assert site.get("/articles/?page=abc")[0] == 404  # bad input is still the site's own 404
        status, health = site.get("/healthz")
        assert status == 200 and json.loads(health)["database"] == "ok"
        # Reported (each process looks again once a second), not a reason to take this server
        # out: reads fell back to the primary.
        deadline = time.monotonic() + 5
        while json.loads(health)["replica"] != "unreachable":
            assert time.monotonic() < deadline, f"/healthz never reported the replica down: {health}"
            time.sleep(0.2)
            status, health = site.get("/healthz")
        assert status == 200 and json.loads(health)["status"] == "degraded"
        headline = f"Envoy meets premier {uuid.uuid4().hex[:8]}"
        save_headline(site, editor, headline)
        assert headline in reader_page(site)  # the primary's page, at once
        assert probe(site) | {"routes": None} == {"caught_up": False, "status": "unreachable", "routes": None}
    finally:
        cluster.start_replica()
    cluster.wait_replayed()

    # Back up: readers return to it (seen by its replay being paused once more).
    newer = f"Envoy leaves Beijing {uuid.uuid4().hex[:8]}"
    paused_at = fresh_replay(cluster)
    cluster.pause_replay()
    try:
        save_headline(site, editor, newer)
        # Within the limit, counted as the lag is, from the tick: readers are back on the replica.
        deadline = paused_at + MAX_LAG - 0.5
        while newer in reader_page(site):
            assert time.monotonic() < deadline, "readers did not return to the replica"
            time.sleep(0.1)
    finally:
        cluster.resume_replay()
    cluster.wait_replayed()


@needs_postgres
def test_caught_up_waits_for_the_replica_and_the_router_keeps_writes_on_the_primary(site, cluster):
    fresh_replay(cluster)
    cluster.pause_replay()
    try:
        with psycopg.connect(cluster.primary_url, autocommit=True) as conn:
            conn.execute("INSERT INTO test_tick VALUES (now())")
        # (A limit well past the probe's own start-up, which a loaded machine can stretch.)
        paused = probe(site, NEWSROOM_REPLICA_MAX_LAG="120")
    finally:
        cluster.resume_replay()
    assert paused["caught_up"] is False
    assert paused["status"] == "ok"  # behind, but by less than the limit

    # A limit of half a second, and the last transaction is older than that (the probe above took
    # longer): a replica caught up with a quiet primary is not lagging, however old its last write.
    cluster.wait_replayed()
    replayed = probe(site, NEWSROOM_REPLICA_MAX_LAG="0.5")
    assert replayed["caught_up"] is True
    assert replayed["status"] == "ok"
    assert replayed["routes"] == {
        "outside a request": "default",  # commands, the worker and shells read the primary
        "anonymous read": "replica",
        "pinned": "default",
        "in a transaction": "default",
        "write": "default",
        "read after a write": "default",
    }


# Commits that return before their WAL is written (synchronous_commit off, as a busy site may run
# the primary), each followed by caught_up(): how many of them the replica did not have yet.
ASYNC_COMMITS = """
import json
from django.db import connections
from newsroom.replica import caught_up
primary, replica = connections["default"].cursor(), connections["replica"].cursor()
primary.execute("SET synchronous_commit = off")
missing = []
for n in range(20):
    primary.execute("INSERT INTO test_marks VALUES (%s)", [n])
    assert caught_up(timeout=5)
    replica.execute("SELECT count(*) FROM test_marks WHERE n = %s", [n])
    if not replica.fetchone()[0]:
        missing.append(n)
print(json.dumps(missing))
"""


@needs_postgres
def test_caught_up_means_the_replica_has_a_change_committed_without_waiting_for_its_wal(site, cluster):
    # A purge sent on caught_up() lets the proxy refetch the page from the replica: the change
    # must be there, also when its commit returned before its WAL record was written.
    with psycopg.connect(cluster.primary_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS test_marks (n integer)")
    cluster.wait_replayed()
    output = manage(site.env, "shell", "-c", ASYNC_COMMITS)
    assert json.loads(output.strip().splitlines()[-1]) == []


def test_without_a_replica_everything_reads_and_writes_the_primary():
    assert replica_status() == "off"
    assert caught_up() is True
    with replica_reads():
        assert router.db_for_read(Article) == "default"
        assert router.db_for_write(Article) == "default"
    assert ReplicaRouter().allow_migrate("replica", "articles") is False
    assert ReplicaRouter().allow_migrate("default", "articles") is True
