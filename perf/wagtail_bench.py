"""Newsroom's uncached pages side by side with a Wagtail 8 news site holding the same stories.

    python -m perf.wagtail_bench [--articles 10000] [--seconds 5] [--clients 8] [--database sqlite|postgresql]

The yardstick is perf/wagtail_ref/: a Wagtail site built as Wagtail's tutorial builds a blog (an
index page, story pages with authors and tags, a tag index page), installed into its own virtualenv
(build/wagtail-venv, from perf/wagtail_ref/requirements.txt; PyPI is the only thing it needs). Both
sites get the same generated stories (perf/generate.py), run under the same gunicorn (2 workers of 4
threads, no cache), and each page kind is measured on one and then the other, in turn, so the ratio
holds when the shared machine's speed drifts. Absolute rates on this machine are noise; the ratio
of one run is the result. Reported, not asserted; loopback only; every loop bounded.
"""

import argparse
import re
import subprocess
import sys
import time

from perf.bench import measure
from perf.harness import BUILD, PROJECT, Site, fresh_postgres, manage, site_env

REFERENCE = PROJECT / "perf" / "wagtail_ref"
VENV = BUILD / "wagtail-venv"
WORK = BUILD / "wagtail-bench"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
FIRST_STORY = re.compile(r'<h2[^>]*>\s*<a href="([^"]+)"')


def wagtail_python():
    """The reference site's interpreter, its virtualenv made (or remade when its requirements
    changed) from PyPI."""
    python, stamp = VENV / "bin" / "python", VENV / ".requirements"
    wanted = (REFERENCE / "requirements.txt").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print("Installing the Wagtail reference site into", VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r", str(REFERENCE / "requirements.txt")], check=True
        )
        stamp.write_text(wanted)
    return str(python)


def stories(count):
    """The generated story files (made once per count)."""
    folder = WORK / f"stories-{count}"
    if not (folder / ".complete").exists():
        generate = [sys.executable, "-m", "perf.generate", str(folder), "--count", str(count)]
        subprocess.run(generate, check=True)
        (folder / ".complete").touch()
    return folder


def database_url(kind, name):
    if kind == "postgresql":
        url = f"{POSTGRES}/{name}"
        fresh_postgres(url)
        return url
    path = WORK / f"{name}.sqlite3"
    for leftover in WORK.glob(f"{name}.sqlite3*"):
        leftover.unlink()
    return f"sqlite:///{path}"


def analyze(url):
    """Statistics for PostgreSQL's planner, as autovacuum would have them on a live site: a table
    just filled has none, and both sites' plans would be guesses."""
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")


def timed(step, run):
    started = time.monotonic()
    run()
    print(f"  {step}: {time.monotonic() - started:.0f} s", flush=True)


def newsroom_site(folder, kind):
    env = site_env(database_url(kind, "wagtail_bench_newsroom"), static_root=WORK / "newsroom-static")
    timed("Newsroom: migrate", lambda: manage(env, "migrate", "--noinput"))
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    timed("Newsroom: import", lambda: manage(env, "import_articles", folder, "--verbosity", "0"))
    analyze(env["DATABASE_URL"])
    return Site(env, workers=2)


def wagtail_site(folder, kind):
    python = wagtail_python()
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url(kind, "wagtail_bench_wagtail"),
        "WAGTAIL_REF_STATIC_ROOT": str(WORK / "wagtail-static"),
        "WAGTAIL_REF_MEDIA_ROOT": str(WORK / "wagtail-media"),
        "PYTHONUNBUFFERED": "1",
    }

    def run(*args):
        subprocess.run([python, "manage.py", *map(str, args)], cwd=REFERENCE, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    timed("Wagtail: migrate", lambda: run("migrate", "--noinput"))
    timed("Wagtail: load", lambda: run("load_stories", folder))
    analyze(env["DATABASE_URL"])
    return Site(env, workers=2, python=python, app="newsref.wsgi:application", cwd=REFERENCE, health="/")


def first_story(site, listing):
    status, html = site.get(listing)
    found = FIRST_STORY.search(html) if status == 200 else None
    if not found:
        raise SystemExit(f"{site.url}{listing}: no story link ({status})")
    return found.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    folder = stories(args.articles)
    print(f"{args.articles} generated stories on {args.database}", flush=True)
    ours, theirs = newsroom_site(folder, args.database), wagtail_site(folder, args.database)
    rows = []
    with ours, theirs:
        pages = [
            ("article", first_story(ours, "/articles/"), first_story(theirs, "/")),
            ("list, page 1", "/articles/", "/"),
            ("topic page", "/tags/china/", "/tags/?tag=China"),
            ("tag-filtered list", "/articles/?tag=china&tag=trade", "/tags/?tag=China&tag=Trade"),
        ]
        for name, our_path, their_path in pages:
            for site, path in ((ours, our_path), (theirs, their_path)):
                if site.get(path)[0] != 200:
                    raise SystemExit(f"{site.url}{path} does not answer 200")
            measure(ours, our_path, 1, args.clients)  # warm both before counting
            measure(theirs, their_path, 1, args.clients)
            our_rate = measure(ours, our_path, args.seconds, args.clients)
            their_rate = measure(theirs, their_path, args.seconds, args.clients)
            rows.append((name, our_rate, their_rate))
            print(f"  {name}: Newsroom {our_rate:.0f} req/s, Wagtail {their_rate:.0f} req/s", flush=True)
    setting = f"{args.database}, uncached, 2 gunicorn workers each, {args.clients} clients"
    print(f"\n{args.articles} stories, {setting}")
    print(f"{'page':<20} {'Newsroom req/s':>15} {'Wagtail req/s':>14} {'ratio':>7}")
    for name, our_rate, their_rate in rows:
        print(f"{name:<20} {our_rate:>15.0f} {their_rate:>14.0f} {our_rate / their_rate:>6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
