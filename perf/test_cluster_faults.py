"""Fault tests of the cluster, run by `make loadtest-cluster` (not `make test`, nor `make loadtest`):
readers on every kind of page at the proxy while a part of the cluster fails, each test one fault —
a Newsroom server killed, the replica stopped, Redis stopped, Varnish restarted — and what a reader
or an editor would notice asserted: no 5xx at the proxy, changes still shown, purges still made.

One small cluster (perf/cluster.py, CLUSTER_FAULT_ARTICLES stories, 500 by default) serves the
module; each test leaves it whole again. Loopback only; every wait is bounded.
"""

import os
import time

import pytest

from perf import pgcluster, varnish
from perf.cluster import Cluster
from perf.cluster_loadtest import STALE_AFTER, Archive, Editor, Readers, shows
from perf.harness import BUILD

ARTICLES = int(os.environ.get("CLUSTER_FAULT_ARTICLES", 500))
READERS = 4

pytestmark = pytest.mark.skipif(
    bool(pgcluster.missing_reason() or varnish.unavailable_reason()),
    reason=f"{pgcluster.missing_reason() or varnish.unavailable_reason()}",
)


@pytest.fixture(scope="module")
def cluster():
    with Cluster(articles=ARTICLES, workdir=BUILD / "cluster-faults", log=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def archive(cluster):
    return Archive.read(cluster)


@pytest.fixture(scope="module")
def editor(cluster):
    return Editor(cluster)


def server_errors(samples):
    return sorted({(s.status, s.path) for s in samples if s.status >= 500})[:10]


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} not within {timeout} s"
        time.sleep(0.1)


def test_a_killed_server_costs_readers_nothing(cluster, archive, editor):
    with Readers(cluster, archive, READERS, seed=1) as readers:
        time.sleep(2)
        killed_at = time.monotonic()
        cluster.kill_server(0)
        # Readers' requests are retried on the other server at once; an editor's save (a POST,
        # never retried) waits until Varnish's probe has taken the dead one out (2 s at most),
        # then is made and shown by the other.
        time.sleep(3)
        story = editor.recent_stories(1)[0]
        story.headline += " (while a server was down)"
        editor.change(story, headline=story.headline)
        assert editor.wait_until(lambda: shows(cluster.get(story.path)[1], story.headline), 5) is not None
        time.sleep(1)
        cluster.start_server(0)
        back_at = time.monotonic()
        time.sleep(3)  # and back into it
    during = [s for s in readers.samples if killed_at <= s.started < back_at]
    assert during, "no reader was served while the server was down"
    assert not server_errors(readers.samples), server_errors(readers.samples)
    assert cluster.servers[0].get("/healthz")[0] == 200
    print(f"server killed for {back_at - killed_at:.1f} s: {len(during)} requests served, no 5xx")


def test_with_the_replica_stopped_pages_come_from_the_primary(cluster, archive, editor):
    story = editor.recent_stories(2)[1]
    try:
        with Readers(cluster, archive, READERS, seed=2) as readers:
            time.sleep(1)
            stopped_at = time.monotonic()
            cluster.stop_replica()
            story.headline += " (while the replica was down)"
            editor.change(story, headline=story.headline)
            seen = editor.wait_until(lambda: shows(cluster.get(story.path)[1], story.headline), 5)
            assert seen is not None, "an edit made while the replica was down never showed at the proxy"
            time.sleep(3)
            ended = time.monotonic()
    finally:
        cluster.start_replica()
    during = [s for s in readers.samples if stopped_at <= s.started < ended]
    assert during and all(s.status < 500 for s in during), server_errors(during)
    assert not server_errors(readers.samples), server_errors(readers.samples)
    # Back, it catches up by itself.
    cluster.postgres.wait_replayed(timeout=30)
    print(f"replica down {ended - stopped_at:.1f} s: {len(during)} requests, edit shown after {seen:.2f} s")


def test_with_redis_stopped_pages_answer_and_purges_are_made(cluster, archive, editor):
    story = editor.recent_stories(3)[2]
    assert cluster.get(story.path)[0] == 200  # in the proxy's cache now
    try:
        with Readers(cluster, archive, READERS, seed=3) as readers:
            time.sleep(1)
            stopped_at = time.monotonic()
            cluster.stop_redis()
            time.sleep(1)
            gone = editor.gone_after(story, editor.change(story, "unpublish"))
            time.sleep(2)
            ended = time.monotonic()
    finally:
        cluster.start_redis()
    try:
        assert gone is not None and gone <= STALE_AFTER, f"unpublished, still at the proxy after {gone} s"
        during = [s for s in readers.samples if stopped_at <= s.started < ended]
        assert during and not server_errors(readers.samples), server_errors(readers.samples)
    finally:
        editor.change(story, "publish")
    # With Redis back, the health check says so.
    wait_until(lambda: cluster.health()[1].get("cache") == "ok", 15, "the cache reported back")
    print(f"Redis down {ended - stopped_at:.1f} s: {len(during)} requests, unpublished gone in {gone:.2f} s")


def test_varnish_restarted_comes_back_empty_and_missed_purges_are_delivered(cluster, archive, editor):
    story = editor.recent_stories(4)[3]
    with Readers(cluster, archive, READERS, seed=4) as readers:
        time.sleep(1)
        cluster.restart_varnish()
        up_at = time.monotonic()
        time.sleep(4)
    after = [s for s in readers.samples if s.started >= up_at]
    assert after and not server_errors(after), server_errors(after)
    assert any(s.cache == "HIT" for s in after), "the restarted proxy never served from its cache"

    # A purge the proxy could not take (it was down) is reported, then delivered once it is back.
    assert cluster.get(story.path)[0] == 200
    cluster.stop_varnish()
    try:
        editor.url = cluster.servers[0].url  # the admin, directly: the proxy is down
        editor.change(story, "unpublish")
        wait_until(lambda: cluster.health()[1]["status"] != "ok", 10, "/healthz reporting the missed purge")
        status, report = cluster.health()
        assert status == 200, "an undelivered purge must not take the server out of the proxy's round"
    finally:
        editor.url = cluster.proxy_url
        cluster.start_varnish()
    down_report = {key: value for key, value in report.items() if key not in ("database", "cache")}
    wait_until(lambda: cluster.health()[1]["status"] == "ok", 30, "the retried purge delivered")
    assert cluster.get(story.path)[0] == 404
    editor.change(story, "publish")
    print(f"while Varnish was down /healthz said {down_report}; the retry delivered the purge")
