"""``make lighthouse``: Lighthouse on the sample site, three pages with the mobile and desktop presets.

Starts the site itself (perf/harness.py: fresh SQLite database, sample coverage, gunicorn, debug
off), runs the npm ``lighthouse`` from node_modules against Debian's Chromium, prints the four category
scores per page and preset, and exits non-zero when accessibility, best practices or SEO is under
100 or performance under 95. The JSON and HTML reports are left in build/lighthouse/.
"""

import json
import os
import shutil
import subprocess
import sys

from perf.harness import BUILD, PROJECT, sample_site

LIGHTHOUSE = PROJECT / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = BUILD / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MINIMUM = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
PRESETS = ("mobile", "desktop")
CHROME_FLAGS = "--headless=new --no-sandbox"


def chrome_path():
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        sys.exit(f"Chromium not found at {path}: apt-get install chromium, or set CHROME_PATH")
    return path


# Lighthouse sometimes fails to record a page load on a busy machine (NO_NAVSTART, a lost trace):
# that run measured nothing, so it is run again. A score under the bar is never retried.
ATTEMPTS = 3


def _audit(args, base, what):
    """Run Lighthouse until it records the page load; return its JSON report."""
    report_file = base.with_suffix(".report.json")
    for attempt in range(1, ATTEMPTS + 1):
        report_file.unlink(missing_ok=True)  # never read an earlier run's report as this one's
        finished = subprocess.run(args, env={**os.environ, "CHROME_PATH": chrome_path()})
        report = json.loads(report_file.read_text()) if report_file.exists() else {}
        error = report.get("runtimeError", {}).get("message") if report else "no report written"
        if finished.returncode == 0 and not error:
            return report
        print(f"  {what}: Lighthouse recorded nothing ({error}); attempt {attempt} of {ATTEMPTS}", flush=True)
    raise RuntimeError(f"{what}: Lighthouse failed {ATTEMPTS} times: {error}")


def run_lighthouse(url, preset, name):
    """Run one audit; return {category: score 0-100} and the path of the HTML report."""
    base = OUT / "reports" / f"{name.replace(' ', '-')}-{preset}"
    args = [
        "node", str(LIGHTHOUSE), url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json", "--output=html", f"--output-path={base}",
        f"--chrome-flags={CHROME_FLAGS}", "--quiet",
    ]  # fmt: skip
    if preset == "desktop":
        args.append("--preset=desktop")  # mobile is Lighthouse's default form factor and throttling
    report = _audit(args, base, f"{url} ({preset})")
    scores = {}
    for category in CATEGORIES:
        score = report["categories"][category]["score"]
        scores[category] = None if score is None else round(score * 100)
    # Weighted audits short of full marks, to say why a score is under 100.
    audits = [report["audits"][ref["id"]] for c in CATEGORIES for ref in report["categories"][c]["auditRefs"]
              if ref["weight"]]  # fmt: skip
    failing = [f"{a['id']} ({a['score']})" for a in audits if a["score"] is not None and a["score"] < 1]
    return scores, failing, base.with_suffix(".report.html")


def main():
    if not LIGHTHOUSE.exists():
        sys.exit("node_modules/lighthouse is missing: run npm ci (make lighthouse does)")
    (OUT / "reports").mkdir(parents=True, exist_ok=True)
    rows, problems = [], []
    with sample_site(OUT / "site") as site:
        for name, url in site.pages().items():
            for preset in PRESETS:
                print(f"Lighthouse: {name} ({preset}) {url}", flush=True)
                scores, failing, html = run_lighthouse(url, preset, name)
                rows.append((name, preset, scores))
                low = [c for c in CATEGORIES if scores[c] is None or scores[c] < MINIMUM[c]]
                if low:
                    problems.append(f"{name} ({preset}): {', '.join(low)} under the bar; see {html}")
                if failing:
                    print(f"  audits not at full marks: {', '.join(failing)}", flush=True)

    widths = (15, 8, 12, 14, 15, 4)
    header = ("page", "preset", "performance", "accessibility", "best-practices", "seo")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for name, preset, scores in rows:
        cells = [name, preset, *(str(scores[c]) for c in CATEGORIES)]
        print("  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)))
    print(f"\nBars: performance >= {MINIMUM['performance']}, the others 100. Reports in {OUT / 'reports'}")
    if problems:
        print("\n".join(["", "FAILED:", *problems]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
