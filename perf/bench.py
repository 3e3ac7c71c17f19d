"""Page speed against a static file served by the same stack, with the page cache off and on.

    python -m perf.bench [--articles 10000] [--small 1000] [--seconds 5] [--clients 4] [--database-url URL]

Seeds PostgreSQL (--database-url, default BENCH_DATABASE_URL or .../newsroom_bench), starts 2
gunicorn workers (Redis for the cache: --redis-url, default BENCH_REDIS_URL or db 12), and for each
URL runs `clients` keep-alive connections for `seconds`, counting requests. Every page's rate is
printed as a ratio to the static file's rate measured just before it, so the figure holds when the
machine's speed drifts. The list pages are measured again with `small` articles: a page's cost must
not grow with the archive. Reported, not asserted. Loopback only; every loop is bounded.
"""

import argparse
import os
import re
import statistics
import sys
import threading
import time

from perf.harness import BUILD, Site, seeded_postgres, site_env

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def measure(site, path, seconds, clients):
    counts, errors = [0] * clients, [0] * clients

    def client(index):
        connection = site.connection()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
            counts[index] += 1
            errors[index] += response.status >= 400
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    if sum(errors):
        raise SystemExit(f"{path}: {sum(errors)} error responses")
    return sum(counts) / seconds


BASELINE = "static file (baseline)"


def pages(static_path):
    return [
        (BASELINE, static_path),
        ("home", "/"),
        ("article", "/articles/{slug}/"),
        ("list", "/articles/"),
        ("tag-filtered list", "/articles/?tag=china&tag=trade"),
        ("search", "/search/?q=envoy"),
        ("feed", "/feeds/latest/"),
    ]


def static_path(site):
    _, html = site.get("/")
    return re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', html)[1]


def run_mode(env, cached, seconds, clients, slug):
    """Each page's requests/s, and the static file's measured just before it: the machine's speed
    drifts over a run, so each page is compared with the baseline of its own moment."""
    env = {**env, "NEWSROOM_PAGE_CACHE": "1" if cached else "0"}
    rates, baselines = {}, {}
    with Site(env, workers=int(os.environ.get("WEB_CONCURRENCY", 2))) as site:
        static = static_path(site)
        measure(site, static, 0.5, 1)  # warm
        for name, path in pages(static)[1:]:
            path = path.format(slug=slug)
            measure(site, path, 0.5, 1)  # warm
            baselines[name] = measure(site, static, seconds, clients)
            rates[name] = measure(site, path, seconds, clients)
    rates[BASELINE] = statistics.median(baselines.values())
    return {name: rates[name] for name, _ in pages(static)}, baselines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and made afresh (PostgreSQL)")
    parser.add_argument("--redis-url", default=REDIS_URL, help="emptied first")
    options = parser.parse_args()
    env = site_env(options.database_url, redis_url=options.redis_url, static_root=BUILD / "bench-static")
    results = {}
    for size in (options.articles, options.small):
        print(f"Seeding {size} articles …", flush=True)
        seeded_postgres(env, size)
        slug = "sample"
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            newest = "SELECT slug FROM articles_article WHERE status = 'published' ORDER BY published_at DESC"
            slug = conn.execute(newest + " LIMIT 1").fetchone()[0]
        modes = [("cached", True), ("uncached", False)] if size == options.articles else [("uncached", False)]
        for mode, cached in modes:
            results[(size, mode)] = run_mode(env, cached, options.seconds, options.clients, slug)

    big, small = options.articles, options.small
    cached, uncached = results[(big, "cached")], results[(big, "uncached")]
    smaller = results[(small, "uncached")]
    print(f"\n{options.clients} keep-alive clients, {options.seconds:.0f} s per URL, 2 gunicorn workers")
    print("ratio: to the static file measured just before the page; change: of that ratio, "
          f"{big} articles against {small}")  # fmt: skip
    print(f"{'page':<24}{'cached req/s':>14}{'ratio':>8}{'uncached req/s':>16}{'ratio':>8}"
          f"{f'uncached @{small}':>18}{'ratio':>8}{'change':>9}")  # fmt: skip
    for name in cached[0]:
        change = (ratio(uncached, name) / ratio(smaller, name) - 1) * 100
        print(
            f"{name:<24}{cached[0][name]:>14.1f}{ratio(cached, name):>8.2f}"
            f"{uncached[0][name]:>16.1f}{ratio(uncached, name):>8.2f}"
            f"{smaller[0][name]:>18.1f}{ratio(smaller, name):>8.2f}{change:>8.0f}%"
        )
    print_targets(cached, uncached, smaller)
    return 0


def ratio(result, name):
    rates, baselines = result
    return rates[name] / baselines.get(name, rates[BASELINE])


def print_targets(cached, uncached, smaller):
    """The issue's targets, each with the figure measured here."""
    slowest = min((name for name in cached[0] if name != BASELINE), key=lambda name: ratio(cached, name))
    rows = [(f"cached pages >= 0.60 of static (slowest: {slowest})", ratio(cached, slowest), 0.60)]
    rows += [("uncached article >= 0.15", ratio(uncached, "article"), 0.15)]
    for name in ("list", "tag-filtered list"):
        rows.append((f"uncached {name} >= 0.12", ratio(uncached, name), 0.12))
    print("\ntarget" + " " * 58 + "measured")
    for label, value, goal in rows:
        print(f"{label:<64}{value:>8.2f}  {'met' if value >= goal else 'MISSED'}")
    for name in ("list", "tag-filtered list"):
        change = (ratio(uncached, name) / ratio(smaller, name) - 1) * 100
        verdict = "met" if change >= -20 else "MISSED"
        print(f"{f'uncached {name} within 20% of its ratio at the small size':<64}{change:>7.0f}%  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
