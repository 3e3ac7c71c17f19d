"""``make screenshots``: the front page, a tag-filtered list and an article at 375 and 1280 px wide.

Serves the sample coverage (perf/harness.py) and photographs each whole page with Playwright and
Debian's Chromium (NEWSROOM_CHROMIUM, default /usr/bin/chromium) into build/screenshots/, which is not
committed. Light scheme; pass --dark for the dark one as well.
"""

import os
import sys

from playwright.sync_api import sync_playwright

from perf.harness import BUILD, PROJECT, sample_site

OUT = BUILD / "screenshots"
VIEWPORTS = {375: 812, 1280: 900}


def main(argv):
    schemes = ["light", "dark"] if "--dark" in argv else ["light"]
    chromium = os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        sys.exit(f"Chromium not found at {chromium}: apt-get install chromium, or set NEWSROOM_CHROMIUM")
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sample_site(BUILD / "screenshots-site") as site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for scheme in schemes:
            for width, height in VIEWPORTS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=scheme, device_scale_factor=1
                )
                page = context.new_page()
                for name, url in site.pages().items():
                    response = page.goto(url)
                    if response.status != 200:
                        sys.exit(f"{url} answered {response.status}")
                    suffix = "" if scheme == "light" else "-dark"
                    path = OUT / f"{name.replace(' ', '-')}-{width}{suffix}.png"
                    page.screenshot(path=path, full_page=True)
                    written.append(path)
                context.close()
        browser.close()
    for path in written:
        print(path.relative_to(PROJECT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
