"""Driving the admin's own widgets as an editor does, without racing their scripts."""

from urllib.parse import quote

from playwright.sync_api import expect


def search_autocomplete(page, field, typed):
    """Open the admin autocomplete (select2) of ``field``, type ``typed`` and return its options once
    they answer what was typed.

    Select2 first lists every choice, then "Searching…", then the server's answer for the term; a
    click on an option of an earlier list can land while it is being redrawn and pick nothing
    (CI met this once). So this waits for the answer to the term, and for the list drawn from it."""
    page.locator(f".field-{field} .select2-selection").click()
    term = f"term={quote(typed)}"

    def answers_the_term(response):
        return "/admin/autocomplete/" in response.url and term in response.url

    with page.expect_response(answers_the_term) as answer:
        page.locator(".select2-container--open .select2-search__field").fill(typed)
    answer.value.finished()
    expect(page.locator(".select2-container--open .loading-results")).to_have_count(0)
    return page.locator(".select2-container--open .select2-results__option")
