"""Newsroom at archive scale: import N generated stories, then time every kind of page, uncached.

    python -m perf.archive_bench [--count 100000] [--database-url URL] [--seconds 3] [--clients 4]
                                 [--pages-only]

1. Generates ``count`` Markdown stories with perf/generate.py under build/archive/stories-N/, or
   reuses them when a finished set for that N is there (the same seed gives the same files).
2. Imports them with ``manage.py import_articles`` in a child process into a fresh database: a
   SQLite file under build/archive/ by default, or the PostgreSQL database of ``--database-url``
   (default ARCHIVE_DATABASE_URL), dropped and made again. Prints the wall time, stories/s and the
   peak resident memory of the importer's process tree (its worker processes included), sampled
   from /proc. Then ANALYZE (VACUUM ANALYZE on PostgreSQL): the planner statistics a live database
   has.
3. Counts the queries of each page once, in this process (Django's test client against the same
   database), then serves the site with 2 gunicorn workers and no Redis (so no page cache) and
   runs ``clients`` keep-alive connections on each page kind for ``seconds``, round-robin over its
   addresses: requests/s, p50 and p95 latency, and one client alone for a request's own time. The
   admin pages are fetched as a superuser made for the run, with its session cookie. A page slower
   than 30 s a request is reported as such. ``--pages-only`` skips steps 1 and 2 and measures the
   database a previous run filled.

Target (issue "Archive scale", part 3, at 1,000,000 on PostgreSQL): import at 2,000 stories/s or
more in under 1 GB; the admin's change list and a change form under 200 ms. Reported, not asserted:
absolute figures on a shared machine are noise, ratios within one run are the result. Loopback
only; every loop is bounded.
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from perf.harness import BUILD, PROJECT, Site, fresh_postgres, manage, site_env

WORK = BUILD / "archive"
SEED = 1
TARGET_COUNT, TARGET_RATE, TARGET_RSS_MB, TARGET_ADMIN_MS = 1_000_000, 2000, 1024, 200
DEEP_PAGE = 500
SEARCHES = ("envoy", "climate talks")
REQUEST_TIMEOUT = 30  # seconds; a slower page is reported as such, not measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("ARCHIVE_DATABASE_URL") or "")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--pages-only", action="store_true", help="measure the pages of the database a previous run filled"
    )
    options = parser.parse_args()

    # One secret key for this process and the site's, so the admin session made here is valid there.
    os.environ["DJANGO_SECRET_KEY"] = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
    WORK.mkdir(parents=True, exist_ok=True)
    database_url = options.database_url or f"sqlite:///{WORK / 'archive.sqlite3'}"
    env = site_env(database_url, static_root=WORK / "static")
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"

    rate = peak_mb = None
    if not options.pages_only:
        rate, peak_mb = generate_and_import(options.count, database_url, env, engine)

    pages, cookie = prepare_pages(env)
    results = serve_and_measure(env, pages, cookie, options)
    print_table(results, options, engine)
    print_targets(options.count, rate, peak_mb, results)
    return 0


def generate_and_import(count, database_url, env, engine):
    """Steps 1 and 2; return (stories/s, peak RSS in MB)."""
    files, generated_in = generate(count)
    print(f"stories: {count:,} files in {files} ({generated_in})", flush=True)
    fresh_database(database_url)
    with open(WORK / "setup.log", "w") as log:
        manage(env, "migrate", "--noinput", log=log)
        manage(env, "collectstatic", "--noinput", "--verbosity", "0", log=log)
    seconds, peak_mb, output = import_stories(files, env)
    rate = count / seconds
    print(f"import ({engine}): {count:,} stories in {seconds:.1f} s = {rate:,.0f} stories/s, "
          f"peak RSS {peak_mb:,.0f} MB (process tree); {output.strip().splitlines()[-1]}")  # fmt: skip
    analyze(database_url)
    return rate, peak_mb


def generate(count):
    """The folder of ``count`` generated stories, made unless a finished one is there."""
    files = WORK / f"stories-{count}"
    if (files / ".complete").exists():
        return files, "reused"
    partial = WORK / f"stories-{count}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    start = time.perf_counter()
    command = [sys.executable, "-m", "perf.generate", partial, "--count", str(count), "--seed", str(SEED)]
    subprocess.run(command, cwd=PROJECT, check=True, stdout=subprocess.DEVNULL, timeout=4 * 3600)
    (partial / ".complete").touch()
    shutil.rmtree(files, ignore_errors=True)
    partial.rename(files)
    return files, f"generated in {time.perf_counter() - start:.0f} s"


def fresh_database(database_url):
    if database_url.startswith("postgres"):
        fresh_postgres(database_url)
        return
    path = Path(database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def import_stories(files, env):
    """Run ``import_articles files``; return (wall seconds, peak RSS of its process tree in MB, output).

    The importer reads with worker processes, so the child's own ru_maxrss would miss them: the
    tree's resident memory is summed from /proc every 0.2 s instead.
    """
    command = [sys.executable, "manage.py", "import_articles", str(files)]
    with open(WORK / "import.log", "w") as log:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        peak = [0]
        sampler = threading.Thread(target=sample_rss, args=(child, peak), daemon=True)
        sampler.start()
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        sampler.join(timeout=5)
    if child.returncode:
        sys.exit(f"import_articles failed (exit status {child.returncode}); see {WORK / 'import.log'}")
    # The sampler may miss a short peak between samples; the main process's own peak is exact.
    return seconds, max(peak[0], usage.ru_maxrss) / 1024, output


def sample_rss(child, peak):
    """Keep ``peak[0]`` at the largest summed RSS (kB) of ``child`` and its descendants while it runs."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    while child.returncode is None and Path(f"/proc/{child.pid}").exists():
        parents = {}
        rss = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # the process ended meanwhile
            fields = stat.rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * page_kb
        tree, frontier = {child.pid}, [child.pid]
        while frontier:  # bounded: each pid joins the tree at most once
            pid = frontier.pop()
            for other, parent in parents.items():
                if parent == pid and other not in tree:
                    tree.add(other)
                    frontier.append(other)
        peak[0] = max(peak[0], sum(rss.get(pid, 0) for pid in tree))
        time.sleep(0.2)


def analyze(database_url):
    if database_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            conn.execute("ANALYZE")


def prepare_pages(env):
    """Set Django up in this process on the bench database; return ({page kind: (paths, queries)},
    the admin's session cookie). Queries are counted on each kind's first path."""
    for name in ("DATABASE_URL", "DJANGO_STATIC_ROOT", "NEWSROOM_MEDIA_ROOT"):
        os.environ[name] = env[name]
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DJANGO_DEBUG", None)
    from perf.harness import setup_django

    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    user = users.filter(username="archive-bench").first() or users.create_superuser(
        "archive-bench", password=secrets.token_urlsafe(20)
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    pages = page_paths()
    counted = {}
    for kind, paths in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(paths[0])
        if response.status_code != 200:
            sys.exit(f"{kind}: {paths[0]} answered {response.status_code}")
        counted[kind] = (paths, len(queries))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection.close()
    return counted, cookie


def page_paths():
    """Every page kind and the addresses to round-robin over, picked from the imported archive."""
    from articles.models import Article, ArticleAuthor, TaggedArticle

    published = Article.objects.published().order_by("-published_at")
    total = published.count()
    # Stories from the newest to the oldest, so a page isn't one hot row.
    picks = [published.values("pk", "slug")[total * n // 4] for n in range(4)]
    newest = picks[0]["pk"]
    tags = list(TaggedArticle.objects.filter(content_object=newest).values_list("tag__slug", flat=True)[:2])
    section, section_id = Article.objects.filter(pk=newest).values_list("section__slug", "section")[0]
    author = ArticleAuthor.objects.filter(article=newest).values_list("author__slug", flat=True)[0]
    deep = min(DEEP_PAGE, max(1, total // 20))
    admin = "/admin/articles/article/"
    return {
        "home": ["/"],
        "article": [f"/articles/{pick['slug']}/" for pick in picks],
        "list, page 1": ["/articles/"],
        f"list, page {deep}": [f"/articles/?page={deep}"],
        "tag-filtered list": ["/articles/?" + "&".join(f"tag={tag}" for tag in tags)],
        "topic page": [f"/tags/{tags[0]}/"],
        "section page": [f"/sections/{section}/"],
        "author page": [f"/authors/{author}/"],
        "search": [f"/search/?q={query.replace(' ', '+')}" for query in SEARCHES],
        "feed (RSS)": ["/feeds/latest/"],
        "topic feed": [f"/feeds/tags/{tags[0]}/"],
        "sitemap index": ["/sitemap.xml"],
        "sitemap, articles": ["/sitemap-articles.xml"],
        "news sitemap": ["/news-sitemap.xml"],
        "admin change list": [admin],
        "admin list search": [f"{admin}?q={SEARCHES[0]}"],
        "admin list, filtered": [f"{admin}?status__exact=published&section__id__exact={section_id}"],
        "admin change form": [f"{admin}{pick['pk']}/change/" for pick in picks],
    }


def serve_and_measure(env, pages, cookie, options):
    results = {}
    with Site(env, workers=2) as site:
        for kind, (paths, queries) in pages.items():
            headers = {"Accept-Encoding": "gzip"}
            if paths[0].startswith("/admin/"):
                headers["Cookie"] = cookie
            # One client alone first (it warms the worker and the OS cache): a request's own time,
            # without waiting behind the others; then the load.
            _, alone, failed = load(site, paths, headers, min(options.seconds, 2), 1)
            if not failed:
                rate, latencies, failed = load(site, paths, headers, options.seconds, options.clients)
            if failed:
                print(f"  {kind}: not measured, {failed[0]}", file=sys.stderr, flush=True)
                results[kind] = None
                continue
            results[kind] = (rate, latencies, queries, alone)
            print(f"  measured {kind}", file=sys.stderr, flush=True)
    return results


def load(site, paths, headers, seconds, clients):
    """``clients`` keep-alive connections requesting ``paths`` in turn for ``seconds``; return
    (requests/s, every answered request's latency in ms, the failures: error statuses, timeouts).
    A client stops at its first failure."""
    latencies = [[] for _ in range(clients)]
    failures = []

    def client(index):
        connection = site.connection(timeout=REQUEST_TIMEOUT)
        deadline = time.monotonic() + seconds
        turn = index
        while time.monotonic() < deadline:
            path = paths[turn % len(paths)]
            turn += 1
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError as error:  # a timeout: the page is too slow to measure, not the run's end
                failures.append(f"{path}: {error or type(error).__name__}")
                break
            latencies[index].append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
                break
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    every = [ms for own in latencies for ms in own]
    return len(every) / seconds, every, failures


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_table(results, options, engine):
    print(f"\n{engine}, 2 gunicorn workers x 4 threads, no page cache; {options.clients} keep-alive "
          f"clients, {options.seconds:g} s per page kind")  # fmt: skip
    print("p50/p95: under that load; alone: p50 of one client by itself (a request's own time)")
    print(f"{'page':<24}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'alone ms':>10}{'queries':>9}{'requests':>10}")
    for kind, result in results.items():
        if result is None:
            print(f"{kind:<24}  failed or slower than {REQUEST_TIMEOUT} s a request (see above)")
            continue
        rate, latencies, queries, alone = result
        p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        print(f"{kind:<24}{rate:>8.1f}{p50:>9.0f}{p95:>9.0f}{statistics.median(alone):>10.0f}"
              f"{queries:>9}{len(latencies):>10}")  # fmt: skip


def print_targets(count, rate, peak_mb, results):
    """The issue's targets beside this run's figures; they are set for a million stories."""
    print(f"\ntargets (set for {TARGET_COUNT:,} stories on PostgreSQL; this run: {count:,})")
    rows = []
    if rate is not None:  # not with --pages-only
        rows += [
            (f"import >= {TARGET_RATE:,} stories/s", f"{rate:,.0f}/s", rate >= TARGET_RATE),
            (f"import peak RSS < {TARGET_RSS_MB} MB", f"{peak_mb:,.0f} MB", peak_mb < TARGET_RSS_MB),
        ]
    for kind in ("admin change list", "admin change form"):
        if results[kind] is None:
            rows.append((f"{kind} < {TARGET_ADMIN_MS} ms", "failed", False))
            continue
        p50 = statistics.median(results[kind][3])  # one editor's request, not queued behind others
        rows.append((f"{kind} < {TARGET_ADMIN_MS} ms (p50 alone)", f"{p50:,.0f} ms", p50 < TARGET_ADMIN_MS))
    for label, measured, met in rows:
        print(f"  {label:<40}{measured:>12}  {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
