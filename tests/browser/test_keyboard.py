"""Keyboard only: Tab from the top of a filtered list reaches the skip link, the sections, a tag chip's
remove control and the pagination, in that order, each with a focus ring a sighted user can see."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

MAX_TABS = 400

# What the focused element is, and whether it shows its focus: a :focus-visible outline or box shadow
# of some width, in a colour that is not transparent.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
    && !/rgba\\(.*,\\s*0\\)$/.test(style.outlineColor);
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\\s+/g, ' '),
    classes: el.className,
    inNav: !!el.closest('nav.masthead__nav'),
    inPagination: !!el.closest('nav.pagination'),
    focusVisible: el.matches(':focus-visible'),
    indicator: outline || shadow,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
  };
}"""


@pytest.fixture
def filtered_list(make_article, make_section):
    make_section("Diplomacy", position=1)
    make_section("Security", position=2)
    now = timezone.now()
    for n in range(22):
        make_article(
            f"Trade story {n}",
            section="Diplomacy" if n % 2 else "Security",
            tags=["China", "Trade"] if n % 3 else ["China", "Trade", "Tariffs"],
            published_at=now - timedelta(hours=n + 1),
        )
    return "/articles/?tag=china&tag=trade"


def tab_until(page, predicate, visited):
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        visited.append(focused)
        if predicate(focused):
            return len(visited) - 1
    raise AssertionError(f"not reached in {MAX_TABS} tabs; focus went through {[f['text'] for f in visited]}")


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 812}, {"width": 1280, "height": 900}])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tab_walk_reaches_skip_link_sections_chip_and_pagination_in_order(
    page_factory, filtered_list, viewport, scheme
):
    page = page_factory(viewport=viewport, color_scheme=scheme)
    page.goto(filtered_list)
    visited = []

    skip = tab_until(page, lambda f: True, visited)
    nav = tab_until(page, lambda f: f["inNav"], visited)
    chip = tab_until(page, lambda f: "chip__remove" in f["classes"], visited)
    pagination = tab_until(page, lambda f: f["inPagination"], visited)

    assert visited[skip]["text"] == "Skip to content"
    assert skip < nav < chip < pagination
    assert visited[chip]["text"] == "Remove topic China"
    for focused in visited:
        assert focused["focusVisible"] and focused["indicator"], f"no visible focus on {focused}"
        assert focused["onScreen"], f"focused but off screen: {focused}"


def test_skip_link_moves_focus_to_the_content(page, filtered_list):
    page.goto(filtered_list)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the content, not back in the masthead
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_filters_search_and_pages_work_from_the_keyboard(page, filtered_list):
    page.goto(filtered_list)

    page.get_by_role("link", name="Remove topic China").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/articles/\?tag=trade$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Trade")

    narrow = page.get_by_role("region", name="Narrow further")
    narrow.get_by_role("link", name=re.compile(r"^Tariffs\b")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tag=trade&tag=tariffs$"))

    page.get_by_role("link", name="Clear all filters").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("All stories")

    page.get_by_role("link", name=re.compile("^Older")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"page=2$"))
    pages = page.get_by_role("navigation", name="Pages of stories")
    expect(pages.locator("[aria-current=page]")).to_have_text("Page 2")

    search = page.get_by_role("searchbox", name="Search the coverage")
    search.focus()
    page.keyboard.type("Trade story 7")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Trade\+story\+7$"))
    expect(page.get_by_role("link", name="Trade story 7", exact=True)).to_be_visible()
