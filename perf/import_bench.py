"""How fast ``import_articles`` brings in a large batch, and how much memory it takes.

Generates ``--articles`` files (perf/generate.py), imports them into a fresh SQLite database,
then imports the same files again (nothing changes, so every article is reported unchanged). Each
step runs in a child process (``manage.py`` for the imports), as an operator would; its wall time
(Django's start-up included) and its own peak resident memory (``os.wait4``, the child's
``ru_maxrss``) are printed, with the re-import's speed-up. ``make bench-import`` runs it
(``BENCH_IMPORT_ARTICLES``, ``BENCH_IMPORT_FORMAT``).

Targets (issue "Interchange", part 6, at 100,000 articles): at least 1,000 articles/s and under
500 MB for the first import; the unchanged re-import at least 3x faster.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from perf.harness import BUILD, PROJECT, site_env

TARGET_ARTICLES, TARGET_RATE, TARGET_RSS_MB, TARGET_SPEED_UP = 100_000, 1000, 500, 3.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--format", choices=("md", "txt"), default="md")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=BUILD / "bench", help="emptied first")
    args = parser.parse_args()

    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    files, database = args.work_dir / "articles", args.work_dir / "bench.sqlite3"
    env = site_env(f"sqlite:///{database}", static_root=args.work_dir / "static")

    generate = ["-m", "perf.generate", files, "--count", args.articles, "--seed", args.seed]
    seconds, _, output = run([*generate, "--format", args.format], env)
    print(f"{output.strip()} in {seconds:.1f} s")
    run(["manage.py", "migrate", "--noinput", "--verbosity", "0"], env)

    first = run(["manage.py", "import_articles", files], env)
    again = run(["manage.py", "import_articles", files], env)
    for label, (seconds, rss_mb, output) in (("first import", first), ("re-import", again)):
        rate = args.articles / seconds
        print(
            f"{label:>12}: {args.articles:,} articles in {seconds:.1f} s = {rate:,.0f} articles/s, "
            f"peak RSS {rss_mb:.0f} MB ({output.strip()})"
        )
    speed_up = first[0] / again[0]
    print(f"{'speed-up':>12}: re-import {speed_up:.1f}x faster")
    if args.articles < TARGET_ARTICLES:  # start-up costs dominate a small run
        print(f"{'targets':>12}: set for {TARGET_ARTICLES:,} articles")
        return
    verdicts = [
        (f"first import {TARGET_RATE:,}+ articles/s", args.articles / first[0] >= TARGET_RATE),
        (f"peak RSS under {TARGET_RSS_MB} MB", max(first[1], again[1]) < TARGET_RSS_MB),
        (f"re-import {TARGET_SPEED_UP:.0f}x faster", speed_up >= TARGET_SPEED_UP),
    ]
    summary = ", ".join(f"{what} ({'met' if met else 'MISSED'})" for what, met in verdicts)
    print(f"{'targets':>12}: {summary}")


def run(arguments, env):
    """Run ``python arguments``; return (wall seconds, peak RSS in MB, its standard output).

    Exits with the child's status when it fails. Standard error (progress bars, warnings) passes
    through.
    """
    command = [sys.executable, *map(str, arguments)]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    if child.returncode:
        sys.exit(f"{' '.join(command)} failed (exit status {child.returncode}):\n{output}")
    return seconds, usage.ru_maxrss / 1024, output  # ru_maxrss is in kB on Linux


if __name__ == "__main__":
    main()
