"""Load test: readers on every kind of page while an editor publishes, unpublishes and edits.

    python -m perf.loadtest [--articles 10000] [--seconds 60] [--readers 8] [--database-url URL]

Builds a fresh PostgreSQL database (--database-url, default LOADTEST_DATABASE_URL or
.../newsroom_load), seeds it (perf/seed.py), starts gunicorn (2 workers, WEB_CONCURRENCY) sharing
Redis (--redis-url, default LOADTEST_REDIS_URL or db 14), and runs reader threads for a bounded
time while an editor loop, in this process, unpublishes and republishes one
story and edits another. It prints requests/s and p50/p95/p99 per page and exits non-zero on any
5xx, any page that still shows a story after it was unpublished, or any lost edit.
Traffic goes to 127.0.0.1 only, and every loop is bounded in count and time.
"""

import argparse
import http.client
import os
import random
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlencode

from perf.harness import BUILD, Site, seeded_postgres, site_env

DATABASE_URL = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_load")
REDIS_URL = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/14")
MAX_REQUESTS_PER_READER = 200_000
SEARCHES = ["envoy", "tariffs", "beijing talks", "human rights", '"common ground"']


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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
        connection = site.connection()
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
                connection = site.connection()
            results[page].append((status, time.perf_counter() - started, hit))
        connection.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    return threads


def run_editor(site, seconds, stop, problems, pause=0.05):
    """Unpublish and republish one story, edit another; check each step from the outside. The
    publication steps go through articles.publishing, as the admin's do."""
    from django.contrib.auth import get_user_model

    from articles import publishing
    from articles.models import Article

    editor, _ = get_user_model().objects.get_or_create(
        username="loadtest-editor", defaults={"is_superuser": True, "is_staff": True}
    )
    victim = Article.objects.published().newest_first()[5]
    edited = Article.objects.published().newest_first()[6]
    deadline = time.monotonic() + seconds
    rounds = edits = 0
    while not stop.is_set() and time.monotonic() < deadline and rounds < 10_000:
        publishing.unpublish(victim, by=editor)
        status, _ = site.get(f"/articles/{victim.slug}/")
        if status != 404:
            problems.append(f"stale: /articles/{victim.slug}/ answered {status} after unpublish")
        status, page = site.get("/")
        if victim.headline in page:
            problems.append("stale: the front page still shows an unpublished story")
        publishing.publish(victim, by=editor)
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
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and made afresh (PostgreSQL)")
    parser.add_argument("--redis-url", default=REDIS_URL, help="emptied first")
    options = parser.parse_args()

    env = site_env(options.database_url, redis_url=options.redis_url, static_root=BUILD / "loadtest-static")
    print(f"Preparing {options.articles} articles on {env['DATABASE_URL']} …", flush=True)
    seeded_postgres(env, options.articles)
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
