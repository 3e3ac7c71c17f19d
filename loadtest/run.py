"""Load test: readers on every kind of page while an editor publishes, unpublishes and edits.

    python loadtest/run.py [--articles 10000] [--seconds 60] [--readers 8]

Builds a fresh PostgreSQL database (DATABASE_URL, default .../newsroom_load), seeds it, starts
gunicorn (2 workers, WEB_CONCURRENCY) sharing Redis (REDIS_URL, default db 14), and runs reader
threads for a bounded time while an editor loop, in this process, unpublishes and republishes one
story and edits another. It prints requests/s and p50/p95/p99 per page and exits non-zero on any
5xx, any page that still shows a story after it was unpublished, or any lost edit.
Traffic goes to 127.0.0.1 only, and every loop is bounded in count and time.
"""

import argparse
import http.client
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
MAX_REQUESTS_PER_READER = 200_000
SEARCHES = ["envoy", "tariffs", "beijing talks", "human rights", '"common ground"']


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Site:
    """A gunicorn serving the project on a free loopback port."""

    def __init__(self, env, workers):
        self.env = env
        self.workers = workers
        self.port = None
        self.process = None

    def __enter__(self):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning"],
            cwd=PROJECT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] in (200, 503):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)

    def get(self, path, connection=None):
        own = connection is None
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            if own:
                connection.close()


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def prepare(env, articles):
    import psycopg

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # As README advises for a server on SSD: PostgreSQL's default cost of a random read is a
        # spinning disk's, which steers search and filtered lists to full scans.
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "shell", "-c", f"from loadtest.seed import seed; seed({articles})")
    # A live database has planner statistics and a visibility map (autovacuum keeps them); a freshly
    # bulk-loaded one has neither until autovacuum comes round, mid-run. Measure the steady state.
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def reader_paths(rng, slugs, tags):
    slug = rng.choice(slugs)
    tag_a, tag_b = rng.sample(tags, 2)
    return rng.choice(
        [
            ("home", "/"),
            ("list", f"/articles/?page={rng.randint(1, 20)}"),
            ("tag-filtered list", f"/articles/?tag={tag_a}&tag={tag_b}"),
            ("article", f"/articles/{slug}/"),
            ("search", "/search/?" + urlencode({"q": rng.choice(SEARCHES)})),
            ("feed", "/feeds/latest/"),
        ]
    )


def run_readers(site, slugs, tags, seconds, readers, results, stop):
    def reader(index):
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
        deadline = time.monotonic() + seconds
        for _ in range(MAX_REQUESTS_PER_READER):
            if stop.is_set() or time.monotonic() > deadline:
                break
            page, path = reader_paths(rng, slugs, tags)
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status, hit = response.status, response.getheader("X-Cache") == "hit"
            except (OSError, http.client.HTTPException):
                status, hit = 599, False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
            results[page].append((status, time.perf_counter() - started, hit))
        connection.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    return threads


def run_editor(site, seconds, stop, problems, pause=0.05):
    """Unpublish and republish one story, edit another; check each step from the outside."""
    from articles.models import Article, Status

    victim = Article.objects.published().newest_first()[5]
    edited = Article.objects.published().newest_first()[6]
    deadline = time.monotonic() + seconds
    rounds = edits = 0
    while not stop.is_set() and time.monotonic() < deadline and rounds < 10_000:
        victim.status = Status.DRAFT
        victim.save()
        status, _ = site.get(f"/articles/{victim.slug}/")
        if status != 404:
            problems.append(f"stale: /articles/{victim.slug}/ answered {status} after unpublish")
        status, page = site.get("/")
        if victim.headline in page:
            problems.append("stale: the front page still shows an unpublished story")
        victim.status = Status.PUBLISHED
        victim.save()
        edits += 1
        edited.headline = f"Edited headline number {edits}"
        edited.save()
        rounds += 1
        time.sleep(pause)
    edited.refresh_from_db()
    if edited.headline != f"Edited headline number {edits}":
        problems.append(f"lost edit: headline is {edited.headline!r}, expected edit {edits}")
    if edited.history.count() < edits:
        problems.append(f"lost revision: {edited.history.count()} revisions for {edits} edits")
    return rounds


def report(results, seconds):
    print(
        f"{'page':<20}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'5xx':>6}"
        f"{'cache hits':>12}"
    )
    total = failures = 0
    for page, rows in sorted(results.items()):
        times = [elapsed * 1000 for _, elapsed, _ in rows]
        errors = sum(1 for status, _, _ in rows if status >= 500)
        hits = sum(1 for _, _, hit in rows if hit)
        total += len(rows)
        failures += errors
        print(
            f"{page:<20}{len(rows):>10}{len(rows) / seconds:>9.1f}{percentile(times, 0.5):>9.1f}"
            f"{percentile(times, 0.95):>9.1f}{percentile(times, 0.99):>9.1f}{errors:>6}"
            f"{hits / len(rows):>11.0%}"
        )
    print(f"{'all':<20}{total:>10}{total / seconds:>9.1f}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument(
        "--edit-pause", type=float, default=0.05,
        help="seconds between the editor's rounds (each round retires every cached page three times)",
    )  # fmt: skip
    options = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "loadtest-" + os.urandom(16).hex()),
        "DATABASE_URL": os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_load"),
        "REDIS_URL": os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "DJANGO_STATIC_ROOT": str(PROJECT / "build" / "loadtest-static"),
    }
    print(f"Preparing {options.articles} articles on {env['DATABASE_URL']} …", flush=True)
    prepare(env, options.articles)
    os.environ.update(env)
    import django

    django.setup()
    from articles.models import Article, Tag

    slugs = list(Article.objects.published().values_list("slug", flat=True)[:2000])
    tags = list(Tag.objects.values_list("slug", flat=True))
    workers = int(os.environ.get("WEB_CONCURRENCY", 2))
    results, problems, stop = defaultdict(list), [], threading.Event()
    with Site(env, workers) as site:
        print(
            f"{workers} gunicorn workers on 127.0.0.1:{site.port}; {options.readers} readers for "
            f"{options.seconds:.0f} s while an editor publishes, unpublishes and edits",
            flush=True,
        )
        threads = run_readers(site, slugs, tags, options.seconds, options.readers, results, stop)
        rounds = run_editor(site, options.seconds, stop, problems, options.edit_pause)
        for thread in threads:
            thread.join(timeout=options.seconds + 30)
    failures = report(results, options.seconds)
    print(f"editor: {rounds} unpublish/republish/edit rounds")
    for problem in problems[:20]:
        print("PROBLEM:", problem)
    if failures or problems:
        print(f"FAILED: {failures} server errors, {len(problems)} stale or lost-edit problems")
        return 1
    print("OK: no 5xx, no stale page after unpublish, no lost edit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
