"""Fault tests, run by `make loadtest` (not `make test`): the site under a database restart, a
cache outage, a killed import and misbehaving clients. Loopback only; every loop is bounded.

The PostgreSQL test stops and starts this machine's own server (it needs root and pg_ctlcluster,
as on the project's machines) and restores it whatever happens; the Redis test stops a Redis of its
own.
"""

import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from perf.harness import (
    BUILD,
    PROJECT,
    Site,
    build_site,
    free_port,
    fresh_postgres,
    manage,
    site_env,
    wait_for_port,
)

PG_URL = os.environ.get("FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_faults")
REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/13")  # the PostgreSQL test's


def base_env(database_url, **extra):
    return site_env(database_url, static_root=BUILD / "faults-static", **extra)


def cluster():
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def postgres_ready():
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


class Readers:
    """Background readers recording (time, status) for one path, bounded in time."""

    def __init__(self, site, path, seconds):
        self.site, self.path, self.seconds = site, path, seconds
        self.samples = []
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            try:
                status, _ = self.site.get(self.path)
            except OSError:
                status = 599
            self.samples.append((time.monotonic(), status))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=self.seconds + 30)


@pytest.mark.skipif(
    shutil.which("pg_ctlcluster") is None or os.geteuid() != 0, reason="needs root and pg_ctlcluster"
)
def test_postgres_restart_mid_load_recovers_without_restarting_gunicorn():
    env = base_env(PG_URL, redis_url=REDIS_URL, NEWSROOM_PAGE_CACHE="0")
    fresh_postgres(PG_URL)
    build_site(env)
    with Site(env, workers=2) as site, Readers(site, "/articles/", seconds=25) as readers:
        time.sleep(3)
        assert site.get("/healthz")[0] == 200
        down_at = time.monotonic()
        try:
            subprocess.run([*cluster(), "stop", "-m", "fast"], check=True, timeout=60)
            health_while_down = site.get("/healthz")[0]
            time.sleep(2)
        finally:
            subprocess.run([*cluster(), "start"], check=True, timeout=60)
        up_at = time.monotonic()
        deadline = time.monotonic() + 30
        while site.get("/healthz")[0] != 200:
            assert time.monotonic() < deadline, "the site did not recover by itself"
            time.sleep(0.5)
        recovered_at = time.monotonic()
        assert health_while_down == 503
    before = [status for at, status in readers.samples if at < down_at]
    after = [status for at, status in readers.samples if at > recovered_at + 1]
    assert before and all(status == 200 for status in before)
    assert after and all(status == 200 for status in after), "errors after PostgreSQL was back"
    print(f"PostgreSQL down {up_at - down_at:.1f} s; site healthy again {recovered_at - up_at:.1f} s later")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_redis_stopped_mid_load_the_site_keeps_serving(tmp_path):
    # A Redis of the test's own, on a free port: stopping it leaves the machine's Redis, which
    # others may be using, alone.
    port = free_port()
    redis_server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        env = base_env(f"sqlite:///{tmp_path / 'site.sqlite3'}", redis_url=f"redis://127.0.0.1:{port}/0")
        build_site(env)
        with Site(env, workers=2) as site, Readers(site, "/articles/", seconds=12) as readers:
            assert '"cache": "ok"' in site.get("/healthz")[1]
            time.sleep(2)
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, timeout=10)
            redis_server.wait(timeout=10)
            time.sleep(4)
            status, body = site.get("/healthz")
            assert status == 200 and '"cache": "unreachable"' in body
    finally:
        redis_server.kill()
        redis_server.wait()
    statuses = [status for _, status in readers.samples]
    assert statuses and all(status == 200 for status in statuses), sorted(set(statuses))


def database_fingerprint(path):
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT id, slug, headline, status, published_at, body FROM articles_article ORDER BY id"
        ).fetchall()
        counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("articles_article", "articles_articleauthor", "articles_taggedarticle",
                            "articles_tag", "articles_section", "articles_author")]  # fmt: skip
    return hashlib.sha256(repr((rows, counts)).encode()).hexdigest(), counts


def test_an_import_killed_mid_run_leaves_the_database_exactly_as_before(tmp_path):
    database = tmp_path / "site.sqlite3"
    env = base_env(f"sqlite:///{database}")
    manage(env, "migrate", "--noinput")
    manage(env, "load_sample_content")
    before = database_fingerprint(database)
    folder = tmp_path / "incoming"
    folder.mkdir()
    paragraph = (PROJECT / "content" / "diplomacy" / "000_036b39410185443a.txt").read_text(encoding="utf-8")
    for n in range(4000):
        (folder / f"story-{n:05d}.txt").write_text(f"Wire story number {n}\n\n{paragraph}", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_articles", str(folder), "--status", "published",
         "--tags", "China,Trade", "--section", "Wires"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(4)  # well into the run: reading, or writing inside its one transaction
    assert process.poll() is None, "the import finished before it could be killed; give it more files"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert database_fingerprint(database) == before


def test_a_slow_or_vanishing_client_does_not_hold_up_other_readers(tmp_path):
    env = base_env(f"sqlite:///{tmp_path / 'site.sqlite3'}", NEWSROOM_PAGE_CACHE="0")
    build_site(env)
    with Site(env, workers=2) as site:
        # A slow client holds one gunicorn thread while it dribbles in its request (2 workers x 4
        # threads here). Many of them at once need a buffering proxy in front (README).
        slow = []
        for _ in range(1):
            sock = socket.create_connection(("127.0.0.1", site.port), timeout=10)
            sock.sendall(b"GET /articles/ HTTP/1.1\r\nHo")
            slow.append(sock)
        vanishing = socket.create_connection(("127.0.0.1", site.port), timeout=10)
        vanishing.sendall(b"GET /feeds/latest/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        vanishing.close()  # gone before the answer
        timings = []
        for _ in range(30):
            started = time.perf_counter()
            status, _ = site.get("/articles/")
            timings.append(time.perf_counter() - started)
            assert status == 200
            for sock in slow:
                sock.sendall(b"s")
        for sock in slow:
            sock.close()
        timings.sort()
        assert timings[int(0.95 * len(timings))] < 2.0, f"p95 {timings[int(0.95 * len(timings))]:.2f} s"
