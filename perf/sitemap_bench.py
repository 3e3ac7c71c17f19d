"""How long the sitemaps take at archive scale, in-process (Django's test client, no HTTP).

    python -m perf.sitemap_bench [--articles 100000] [--database-url URL] [--rounds 3]

Seeds ``--articles`` public stories (perf/seed.py) into a scratch database: a SQLite file under
build/sitemap-bench/ by default (or another under build/), or the PostgreSQL database of
``--database-url`` (its name must start with ``smap_``; created when missing). A database already
holding exactly that many stories is reused. Then times the sitemap index, the first and last page
of the articles sitemap, the sections, tags and news sitemaps: median ms and queries per request.

Target (issue "Archive scale"): every sitemap URL costs a fixed, small amount whatever the archive.
Reported, not asserted: timings on a shared machine are noise.
"""

import argparse
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from perf import search_bench

PROJECT = Path(__file__).resolve().parent.parent
WORK_DIR = PROJECT / "build" / "sitemap-bench"


def scratch_database(database_url):
    return search_bench.scratch_database(database_url, WORK_DIR, "sitemaps.sqlite3", prefixes=("smap_",))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database(args.database_url)
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from perf.harness import setup_django

    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from lxml import etree

    from perf.search_bench import seeded

    seeded(args.articles)
    if not args.rounds:
        return
    setup_test_environment(debug=False)  # the test client's host allowed; no query log kept
    client = Client()
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.fromstring(client.get("/sitemap.xml").content)
    article_pages = [
        urlsplit(loc.text)._replace(scheme="", netloc="").geturl()
        for loc in index.iterfind("sm:sitemap/sm:loc", ns)
        if "sitemap-articles" in loc.text
    ]
    urls = {
        "index": "/sitemap.xml",
        "articles first": article_pages[0],
        "articles last": article_pages[-1],
        "sections": "/sitemap-sections.xml",
        "tags": "/sitemap-tags.xml",
        "news": "/news-sitemap.xml",
    }
    print(f"\n{connection.vendor}, {args.articles:,} stories, {len(article_pages)} article pages")
    print(f"{'url':<16} {'path':<32} {'urls':>6} {'queries':>7} {'median ms':>9}")
    for name, url in urls.items():
        queries = []

        def counted(execute, *args, queries=queries):
            queries.append(1)
            return execute(*args)

        with connection.execute_wrapper(counted):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        entries = len(etree.fromstring(response.content))
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{name:<16} {url:<32} {entries:>6} {len(queries):>7} {statistics.median(timings):>9.1f}")


if __name__ == "__main__":
    main()
