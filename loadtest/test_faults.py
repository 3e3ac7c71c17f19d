"""Fault tests, run by `make loadtest` (not `make test`): the site under a database restart, a
cache outage, a killed import and misbehaving clients. Loopback only; every loop is bounded.

The PostgreSQL and Redis tests stop and start this machine's own servers (they need root and
pg_ctlcluster, as on the project's machines); they restore them whatever happens.
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
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PROJECT, Site, manage  # noqa: E402

PG_URL = os.environ.get("FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_faults")
REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/13")


def base_env(**extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_SECRET_KEY": "faults-" + os.urandom(16).hex(),
        "DJANGO_STATIC_ROOT": str(PROJECT / "build" / "faults-static"),
        **extra,
    }


def fresh_postgres(env):
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    admin = env["DATABASE_URL"].rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "load_sample_content")


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
    env = base_env(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL, NEWSROOM_PAGE_CACHE="0")
    fresh_postgres(env)
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


def redis_running():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_redis_stopped_mid_load_the_site_keeps_serving(tmp_path):
    env = base_env(DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}", REDIS_URL=REDIS_URL)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "load_sample_content")
    with Site(env, workers=2) as site, Readers(site, "/articles/", seconds=12) as readers:
        time.sleep(2)
        try:
            subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False, timeout=10)
            time.sleep(4)
            status, body = site.get("/healthz")
            assert status == 200 and '"cache": "unreachable"' in body
        finally:
            if not redis_running():
                subprocess.run(
                    ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                     "--save", "", "--appendonly", "no"],
                    check=True, timeout=10,
                )  # fmt: skip
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
    env = base_env(DATABASE_URL=f"sqlite:///{database}")
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
    env = base_env(DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}", NEWSROOM_PAGE_CACHE="0")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "load_sample_content")
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
