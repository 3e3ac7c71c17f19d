"""WCAG 2.2 AA in a real browser: axe-core on every kind of public page, phone and desktop, light and dark.

axe-core comes from npm (package.json; ``npm ci``) and is injected into the page by Playwright. Without
node_modules/axe-core these tests skip, like the browser fixture without Chromium; with
NEWSROOM_REQUIRE_BROWSER=1 (CI) a missing axe-core is a failure.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles.models import Article, Author, Correction, Section, Tag

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    # WCAG 2.2's 24 px target size; named so that a change in axe's defaults cannot drop it silently.
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
SCHEMES = ["light", "dark"]

pytestmark = pytest.mark.usefixtures("media")
BODY = """The two delegations met for six hours in the state guesthouse, the longest session since the
talks resumed in the spring. Officials on both sides described the tone as [businesslike](https://example.org/briefing).

## What was agreed

Both governments will reopen a working group on export controls, and a hotline between the
militaries is to be tested before the end of the month.

> "We did not expect a breakthrough, and we did not get one," a senior official said.

## What was not

There was no movement on tariffs. The dispute over chip exports, which has shadowed every meeting
this year, was "noted" in the readout and left for another round.
"""


@pytest.fixture(scope="session")
def axe_script():
    if not AXE.is_file():
        reason = f"axe-core not found at {AXE}; run `npm ci` in the project root for the accessibility tests"
        if os.environ.get("NEWSROOM_REQUIRE_BROWSER") == "1":
            reason += " (NEWSROOM_REQUIRE_BROWSER=1: a missing axe-core is a failure)"
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return AXE


@pytest.fixture
def coverage(make_article, make_section, make_photo, lead_with):
    """A desk's worth of stories: enough for pagination on the filtered list, every card element,
    a story with dateline, subheadings, quotes, a correction, an update and related coverage, and
    pictures: the lead story's with caption and credit, and thumbnails on most cards (small
    originals: axe reads the markup, not the pixels, and renditions of big ones take seconds)."""
    pictures = [
        make_photo(640, 480, color=(40, 80, 120), alt_text="Delegates at the table", credit="Li Wei/Desk"),
        make_photo(640, 480, color=(150, 90, 40), alt_text="A ship at sea", caption="At sea.", credit="Ana"),
    ]
    make_section("Diplomacy", position=1, description="Summits, state visits and talks between capitals.")
    make_section("Security", position=2)
    now = timezone.now()
    for n in range(23):
        make_article(
            f"Tariff round {n} ends without a deal",
            section="Diplomacy" if n % 3 else "Security",
            authors=["Ana Ruiz", "Li Wei"] if n % 2 else ["Ana Ruiz"],
            tags=["China", "Trade", "Tariffs"] if n % 4 else ["China", "Trade"],
            dek=f"Negotiators will meet again next month, the {n}th round of talks on tariffs.",
            published_at=now - timedelta(hours=n + 2),
        )
    for n, article in enumerate(Article.objects.order_by("pk")):
        if n % 3:
            lead_with(article, pictures[n % 2])
    make_article("Navies agree to a hotline", section="Security", tags=["China", "Military"])
    story = make_article(
        "Envoy lands in Beijing for talks on trade and security",
        section="Diplomacy",
        authors=["Ana Ruiz", "Li Wei"],
        tags=["China", "Trade", "United States"],
        dek="The visit comes as tensions rise over export controls and tariffs.",
        dateline="BEIJING",
        body=BODY,
        published_at=now - timedelta(minutes=30),
        featured=True,
    )
    Correction.objects.create(article=story, text="An earlier version misnamed the guesthouse.")
    lead_photo = make_photo(
        width=1000, height=750, alt_text="The envoy descends the aircraft steps on the tarmac",
        caption="The envoy arrives at Beijing Capital International Airport.", credit="Li Wei/Newsroom",
    )  # fmt: skip
    lead_with(story, lead_photo)
    Author.objects.filter(slug="ana-ruiz").update(bio="Ana Ruiz covers China from Beijing.")
    Tag.objects.filter(slug="china").update(description="China's foreign policy and its neighbours.")
    Section.objects.filter(slug="security").update(description="Defence, alliances and arms control.")
    story.refresh_from_db()
    return story


# Every kind of public page; None is the featured story's own address.
PAGES = {
    "home": "/",
    "list": "/articles/",
    "filtered list": "/articles/?tag=china&tag=trade",
    "filtered list, page 2": "/articles/?tag=china&tag=trade&page=2",
    "article": None,
    "section": "/sections/diplomacy/",
    "topic": "/tags/china/?tag=tariffs",
    "topics": "/tags/",
    "author": "/authors/ana-ruiz/",
    "search": "/search/?q=tariff&tag=china",
    "404": "/articles/no-such-story/",
}


def url_for(name, story):
    return PAGES[name] or story.get_absolute_url()


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations(name, page_factory, coverage, axe_script):
    """The page at phone and desktop width, in light and dark: each a fresh load, as a reader with
    that screen and setting gets it, all four checked on one set of stories (they take seconds to
    make) and every violation reported."""
    url = url_for(name, coverage)
    found = []
    for viewport, size in VIEWPORTS.items():
        for scheme in SCHEMES:
            # The site's CSP allows no inline script; axe is injected as one, so the context lifts the CSP.
            page = page_factory(viewport=size, color_scheme=scheme, bypass_csp=True)
            response = page.goto(url)
            assert response.status == (404 if name == "404" else 200), f"{url} ({viewport}, {scheme})"
            page.add_script_tag(path=str(axe_script))
            results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
            if results["violations"]:
                found.append(f"{name} {url} ({viewport}, {scheme}):\n{describe(results['violations'])}")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_page_has_one_h1_headings_in_order_and_a_language(scheme, page_factory, coverage):
    page = page_factory(viewport=VIEWPORTS["desktop"], color_scheme=scheme)
    for name in PAGES:
        page.goto(url_for(name, coverage))
        assert page.locator("html").get_attribute("lang") == "en", name
        levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(e => +e.tagName[1])")
        assert levels.count(1) == 1 and levels[0] == 1, f"{name}: headings {levels}"
        # No level skipped on the way down (h2 then h4 would hide a level from a screen reader).
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"{name}: headings {levels}"
        assert page.get_by_role("main").count() == 1
        assert page.get_by_role("banner").count() == 1 and page.get_by_role("contentinfo").count() == 1


def test_article_body_keeps_a_comfortable_measure(page_factory, coverage):
    """60 to 75 characters a line at desktop width (WCAG 1.4.8 and every typographer's advice)."""
    page = page_factory(viewport=VIEWPORTS["desktop"])
    page.goto(coverage.get_absolute_url())
    line_lengths = page.evaluate(
        """() => {
          const lengths = [];
          for (const p of document.querySelectorAll('.story__body > p:not(.story__dateline)')) {
            const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
            const tops = new Map();
            const range = document.createRange();
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              for (let i = 0; i < node.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (rect) { const top = Math.round(rect.top); tops.set(top, (tops.get(top) || 0) + 1); }
              }
            }
            const lines = [...tops.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);
            lengths.push(...lines.slice(0, -1));  // a paragraph's last line is as short as it likes
          }
          return lengths;
        }"""
    )
    assert line_lengths, "no full lines measured"
    average = sum(line_lengths) / len(line_lengths)
    assert 60 <= average <= 75, f"{average:.0f} characters a line: {line_lengths}"


def test_print_leaves_out_navigation_and_prints_link_addresses(page_factory, coverage):
    page = page_factory(viewport=VIEWPORTS["desktop"])
    page.goto(coverage.get_absolute_url())
    page.emulate_media(media="print")

    assert page.locator(".masthead__nav").is_hidden()
    assert page.locator(".search-form").is_hidden()
    link = page.locator(".story__body a[href^='https://']").first
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "https://example.org/briefing" in after
