"""How long one search takes in-process (no HTTP), at archive scale: p50/p95/max over 50 fixed queries.

Seeds ``--articles`` public stories (perf/seed.py) into a scratch database: a SQLite file under
build/search-bench/ (or another under build/, as ``--database-url sqlite:///…``) or the PostgreSQL
database of ``--database-url`` (its name must start with ``search_bench`` or ``srch_``; it is
created when missing). A database already holding exactly that
many stories is reused, so a second run skips the seeding. Then each query goes through the search
page's code path: ``search_articles`` on the published stories (``for_list``), ``count()`` and the
first page of 20 with its snippets, after a few warm-up rounds. ``make bench-search`` runs it
(``ARCHIVE``, ``DATABASE_URL``).

Target (issue "Archive scale", part 1): p95 under 50 ms for one- and two-word queries on 100,000
stories, on both databases. Timings on a shared machine are noisy: read the medians.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
WORK_DIR = PROJECT / "build" / "search-bench"
PAGE_SIZE = 20

# Drawn from the seed's vocabulary (perf/seed.py: headline words, tags, the sample paragraphs):
# common words match most stories, rare ones a few per cent, a headline number one story.
QUERIES = [
    ("one word", q)
    for q in [
        "china", "blinken", "talks", "summit", "sanctions", "tariffs", "ceasefire", "embassy",
        "treaty", "envoy", "cooperation", "relationship", "xinjiang", "muslims", "proliferation",
        "juncture", "superpowers", "landscape", "climate", "cybersecurity", "diplomacy", "beijing",
        "trade", "taiwan", "ukraine",
    ]
] + [
    ("two words", q)
    for q in [
        "climate talks", "china trade", "blinken beijing", "summit tariffs", "envoy ceasefire",
        "human rights", "sanctions iran", "treaty alliance", "xinjiang muslims", "border tensions",
        "delegation embassy", "nuclear nonproliferation", "global challenges", "intellectual property",
        "dialogue accord", "council visit", "negotiators tariffs", "geopolitical rivalries",
        "secretary blinken", "public health",
    ]
] + [
    ("phrase", '"united states"'),
    ("phrase", '"climate change"'),
    ("prefix", "sanct*"),
    ("prefix", "diplom*"),
    ("prefix", "coop* china"),
]  # fmt: skip


def scratch_database(
    database_url, work_dir=WORK_DIR, file_name="search.sqlite3", prefixes=("search_bench", "srch_")
):
    """The DATABASE_URL to use: ``work_dir/file_name`` (SQLite) by default, or ``database_url``: a
    SQLite file under build/ or a PostgreSQL database named with one of ``prefixes`` (created if
    missing). Shared by the benchmarks that keep their own scratch data (sitemap_bench too)."""
    if not database_url:
        work_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{work_dir / file_name}"
    if database_url.startswith("sqlite:"):
        path = Path(database_url.removeprefix("sqlite:///")).resolve()
        if not path.is_relative_to(PROJECT / "build"):
            sys.exit(f"--database-url: a scratch SQLite file under {PROJECT / 'build'}, not {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    server, name = database_url.rsplit("/", 1)
    if not name.startswith(prefixes):
        named = " or ".join(f"{prefix}…" for prefix in prefixes)
        sys.exit(f"--database-url: a scratch database named {named}, not {name!r}")
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')  # as README advises
    return database_url


def seeded(articles):
    """Migrate, and seed ``articles`` stories unless exactly that many are there already."""
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article

    call_command("migrate", verbosity=0)
    have = Article.objects.count()
    if have == articles:
        print(f"reusing the {have:,} stories already in {connection.settings_dict['NAME']}")
        return
    if have:
        call_command("flush", interactive=False, verbosity=0)
    from perf.seed import seed

    started = time.perf_counter()
    seed(articles)
    print(f"seeded {articles:,} stories in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":  # planner statistics, as autovacuum would leave them
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def one_search(query):
    """What the search page does for its first page: count, then 20 ranked stories with snippets."""
    from articles import search
    from articles.models import Article

    results = search.search_articles(query, Article.objects.published().for_list())
    count = results.count()
    page = list(results[:PAGE_SIZE])
    assert all(article.search_snippet is not None for article in page)
    return count, len(page)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over the 50 queries")
    parser.add_argument("--warm-up", type=int, default=2, help="untimed rounds first")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database(args.database_url)
    os.environ.setdefault("DJANGO_DEBUG", "1")  # a scratch run: no secret key or hosts to set
    from perf.harness import setup_django

    setup_django()
    from django.db import connection

    seeded(args.articles)
    if not args.rounds:
        return
    for _ in range(args.warm_up):
        for _, query in QUERIES:
            one_search(query)
    timings, shown = {}, {}
    for _ in range(args.rounds):
        for _kind, query in QUERIES:
            started = time.perf_counter()
            shown[query] = one_search(query)
            timings.setdefault(query, []).append((time.perf_counter() - started) * 1000)

    print(f"\n{connection.vendor}, {args.articles:,} stories, {args.rounds} rounds (median per query)")
    print(f"{'query':<28} {'count':>8} {'rows':>4} {'median ms':>9}")
    for _kind, query in QUERIES:
        count, rows = shown[query]
        print(f"{query:<28} {count:>8,} {rows:>4} {statistics.median(timings[query]):>9.1f}")
    print(f"\n{'kind':<12} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    kinds = [kind for kind, _ in dict.fromkeys(QUERIES)]
    for kind in [*dict.fromkeys(kinds), "all"]:
        medians = [statistics.median(timings[q]) for k, q in QUERIES if kind in (k, "all")]
        print(
            f"{kind:<12} {len(medians):>7} {percentile(medians, 0.5):>7.1f} "
            f"{percentile(medians, 0.95):>7.1f} {max(medians):>7.1f}"
        )
    words = [statistics.median(timings[q]) for k, q in QUERIES if k in ("one word", "two words")]
    verdict = "met" if percentile(words, 0.95) < 50 else "NOT met"
    print(f"\ntarget p95 < 50 ms for one- and two-word queries: {verdict}")


if __name__ == "__main__":
    main()
