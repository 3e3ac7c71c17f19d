"""Speed a reader feels: an article's first load is the HTML, one stylesheet and the icon, under 20 KiB
on the wire, nothing that blocks rendering but the stylesheet, no layout shift, no script needed to
read or to filter, and hashed static files cached for good."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Correction

BUDGET_BYTES = 20 * 1024
MAX_REQUESTS = 3
YEAR = 365 * 24 * 60 * 60

# A full news story (about 800 words: the sample coverage runs to 600), with subheadings, a quote and
# a link, in copy that does not repeat itself (repeated text would flatter the compression).
PARAGRAPHS = [
    "Officials on both sides described the session as businesslike, which in the language of these "
    "talks means that neither delegation walked out and that nobody expected very much.",
    "The working groups on export controls and on fentanyl will meet again before the end of the month, "
    "and a hotline between the two militaries, silent since last year, is to be tested within weeks.",
    "Tariffs were not on the formal agenda. They came up anyway, over a lunch of steamed fish and lotus "
    "root, when the commerce minister asked whether the duties on electric vehicles were permanent.",
    "Diplomats in the region watched closely. Seoul and Tokyo had both sent deputy foreign ministers to "
    "Washington the week before, to ask that any thaw not come at the expense of their own security.",
    "In Brussels, the reaction was cooler. European officials have spent a year building their own case "
    "against subsidised steel and solar panels and fear being left to fight it alone.",
    "The secretary's schedule left little room for the unexpected: two days, four meetings, one dinner "
    "and a press conference that lasted twenty-two minutes, eleven of them spent on Taiwan.",
    "Human-rights groups said the visit had ignored the detention of journalists and the closure of "
    "the last independent newspaper in Hong Kong; the State Department said both were raised privately.",
    "Markets barely moved. Shares in chipmakers rose a little in Shanghai and fell a little in New York, "
    "which traders took as a sign that investors had priced in a meeting that changed nothing.",
    "Both sides will now draft a readout of the working groups' terms of reference, a document that "
    "took nine months to agree last time and that neither government has yet published in full.",
    "Analysts in Beijing noted the order of the toasts at dinner, the length of the handshake at the "
    "airport and the absence of the vice-president from the photographs, and drew their conclusions.",
    "The next round is pencilled in for the spring, in Washington, if the two presidents meet at the "
    "regional summit in the autumn as both have said they hope to, and if nothing goes wrong before.",
    "Until then the hotline is the test. If a call is placed and answered within the agreed five "
    "minutes, officials say, it will be the first concrete result of a year of careful diplomacy.",
]
BODY = "\n\n".join(
    PARAGRAPHS[0:3]
    + ["## What was agreed", *PARAGRAPHS[3:6], '> "We did not expect a breakthrough," an official said.']
    + ["## What was not", *PARAGRAPHS[6:9], "See the [full readout](https://example.org/readout)."]
    + ["## What comes next", *PARAGRAPHS[9:12]]
    + [p.replace("the", "this") for p in PARAGRAPHS]
)

# Layout shifts, recorded from before the first paint.
CLS_OBSERVER = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shifts.push(entry.value);
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.fixture
def story(make_article):
    now = timezone.now()
    for n in range(5):  # a full related-coverage box
        make_article(f"Earlier: round {n}", tags=["China", "Trade"], published_at=now - timedelta(days=n + 1))
    article = make_article(
        "Envoy lands in Beijing for talks on trade and security",
        authors=["Ana Ruiz", "Li Wei"],
        tags=["China", "Trade", "United States", "Export controls", "Fentanyl"],
        dek="The visit comes as tensions rise over export controls, tariffs and the flow of fentanyl.",
        dateline="BEIJING",
        body=BODY,
    )
    Correction.objects.create(article=article, text="An earlier version misnamed the guesthouse.")
    assert article.word_count > 750
    return article


def first_load(page, url):
    """Load ``url`` in a fresh context; return [(url, resource type, bytes on the wire, response)]."""
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.add_init_script(CLS_OBSERVER)
    page.goto(url, wait_until="networkidle")
    loads = []
    for request in requests:
        sizes = request.sizes()  # bytes as transferred: compressed body plus headers
        loads.append(
            (request.url, request.resource_type, sizes["responseBodySize"] + sizes["responseHeadersSize"],
             request.response())
        )  # fmt: skip
    return loads


def test_article_first_load_is_three_requests_under_20_kib(page, story, live_server):
    loads = first_load(page, story.get_absolute_url())

    summary = "\n".join(f"  {kind:10} {size:6} B  {url}" for url, kind, size, _ in loads)
    total = sum(size for _, _, size, _ in loads)
    print(f"\nArticle first load: {len(loads)} requests, {total} bytes\n{summary}")
    assert len(loads) <= MAX_REQUESTS, summary
    assert total < BUDGET_BYTES, f"{total} bytes:\n{summary}"
    kinds = sorted(kind for _, kind, _, _ in loads)
    assert kinds.count("document") == 1 and kinds.count("stylesheet") == 1 and "script" not in kinds, summary
    assert all(response.status == 200 for *_, response in loads), summary
    for _, kind, _, response in loads:
        if kind in ("document", "stylesheet"):
            assert response.headers.get("content-encoding") in ("gzip", "br"), f"{kind} went uncompressed"


def test_the_stylesheet_is_the_only_render_blocking_request(page, story):
    page.goto(story.get_absolute_url())

    blocking = page.eval_on_selector_all(
        "head link[rel~=stylesheet], head link[rel~=preload], head link[rel~=modulepreload], script[src],"
        " style, link[rel~=preconnect], link[rel~=dns-prefetch]",
        "els => els.map(e => e.outerHTML)",
    )
    assert len(blocking) == 1 and 'rel="stylesheet"' in blocking[0], blocking
    executable = page.eval_on_selector_all(
        "script:not([type='application/ld+json'])", "els => els.map(e => e.outerHTML)"
    )
    assert executable == []
    css = page.request.get(page.locator("link[rel=stylesheet]").get_attribute("href")).text()
    # Nothing the stylesheet would fetch in its turn: no imports, fonts or images from anywhere.
    assert "@import" not in css and "@font-face" not in css and "url(" not in css


def test_article_loads_without_layout_shift(page, story):
    first_load(page, story.get_absolute_url())
    page.wait_for_timeout(300)  # let a late shift (a font swap, an image) show up if there is one
    assert page.evaluate("window.__shifts") == []


def test_hashed_static_files_are_cached_for_a_year_and_the_icon_exists(page, story):
    page.goto(story.get_absolute_url())
    for selector in ("link[rel=stylesheet]", "link[rel=icon]"):
        href = page.locator(selector).get_attribute("href")
        assert re.search(r"\.[0-9a-f]{12}\.(css|svg)$", href), f"{href} is not a hashed name"
        response = page.request.get(href)
        assert response.status == 200
        cache_control = response.headers["cache-control"]
        assert "immutable" in cache_control, cache_control
        assert int(re.search(r"max-age=(\d+)", cache_control)[1]) >= YEAR, cache_control
    icon = page.request.get(page.locator("link[rel=icon]").get_attribute("href"))
    assert icon.headers["content-type"].startswith("image/svg+xml")


def test_reading_and_filtering_need_no_javascript(browser, live_server, new_context, story):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(story.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(story.headline)
    expect(page.locator(".story__body h2").first).to_have_text("What was agreed")

    page.goto("/articles/")
    facets = page.get_by_role("region", name="Filter by topic")
    facets.get_by_role("link", name=re.compile(r"^China\b")).click()
    expect(page).to_have_url(re.compile(r"\?tag=china$"))
    narrow = page.get_by_role("region", name="Narrow further")
    narrow.get_by_role("link", name=re.compile(r"^Fentanyl\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("China · Fentanyl")
    expect(page.locator(".list-header__count")).to_have_text("1 story")

    page.get_by_role("link", name="Remove topic China").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fentanyl")
