"""Signing up for the newsletters in a real browser, with the keyboard only, and axe-core on the
sign-up, confirm and unsubscribe pages."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from distribution.emails import unsubscribe_url
from distribution.models import Subscriber, Subscription
from distribution.sending import send_confirmation
from tests.browser import test_accessibility as accessibility

# axe-core's fixture (skips, or fails under NEWSROOM_REQUIRE_BROWSER=1, without node_modules), shared.
axe_script = accessibility.axe_script
AXE_OPTIONS = accessibility.AXE_OPTIONS

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, selector, limit=60):
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus in {limit} presses of Tab")


def test_sign_up_with_the_keyboard_only(page, make_article):
    make_article(section="Diplomacy", tags=["Trade talks"])
    page.goto("/newsletters/")

    tab_to(page, "#signup-email")
    page.keyboard.type("not-an-address")
    page.keyboard.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("is not an email address we can send to")
    field = page.get_by_label("Your email address")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("not-an-address")
    assert not Subscriber.objects.exists()

    page.keyboard.press("Control+A")
    page.keyboard.type("Reader@Example.org")
    tab_to(page, "input[value='alerts']")
    page.keyboard.press("Space")
    expect(page.locator("input[value='alerts']")).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert set(subscriber.subscriptions.values_list("list_key", flat=True)) == {"briefing", "alerts"}
    assert DBTaskResult.objects.count() == 1 and mail.outbox == []

    send_confirmation.call(subscriber.pk, ["briefing", "alerts"])
    link = re.search(r"https?://\S+/newsletters/confirm/\S+/", mail.outbox[-1].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    page.goto(path)
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    expect(page.get_by_role("main")).to_contain_text("The daily briefing")
    assert subscriber.subscriptions.confirmed().count() == 2


def test_a_list_error_focuses_the_lists_not_the_address(page, db):
    page.goto("/newsletters/")
    tab_to(page, "#signup-email")
    page.keyboard.type("reader@example.org")
    tab_to(page, "input[value='briefing']")
    page.keyboard.press("Space")  # unticks the preselected briefing: nothing chosen
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one newsletter")
    expect(page.locator("input[value='briefing']")).to_be_focused()
    expect(page.get_by_label("Your email address")).not_to_have_attribute("aria-invalid", "true")


def _pending_link(make_article):
    make_article(section="Diplomacy", tags=["Trade talks"])
    subscriber = Subscriber.objects.create(
        email="reader@example.org", confirmation_nonce="0123456789abcdef", confirmation_sent_at=timezone.now()
    )
    Subscription.objects.create(subscriber=subscriber, list_key="briefing")
    send_confirmation.call(subscriber.pk, ["briefing"])
    link = re.search(r"https?://\S+/newsletters/confirm/\S+/", mail.outbox[-1].body).group(0)
    return subscriber, re.sub(r"^https?://[^/]+", "", link)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["signup", "signup-error", "confirm", "unsubscribe", "unsubscribed"])
def test_newsletter_pages_have_no_axe_violations(
    name, scheme, viewport, page_factory, make_article, axe_script
):
    subscriber, confirm_path = _pending_link(make_article)
    Subscription.objects.create(subscriber=subscriber, list_key="alerts", confirmed_at=timezone.now())
    page = page_factory(viewport=accessibility.VIEWPORTS[viewport], color_scheme=scheme, bypass_csp=True)
    leave = re.sub(r"^https?://[^/]+", "", unsubscribe_url(subscriber, "alerts"))
    if name == "signup":
        page.goto("/newsletters/?list=topic:trade-talks")
    elif name == "signup-error":
        page.goto("/newsletters/")
        page.get_by_label("Your email address").fill("someone@mailinator.com")
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("alert")).to_be_visible()
    elif name == "confirm":
        page.goto(confirm_path)
        expect(page.get_by_role("button", name=re.compile("Yes"))).to_be_visible()
    elif name == "unsubscribe":
        page.goto(leave)
        expect(page.get_by_role("button", name="Unsubscribe", exact=True)).to_be_visible()
    else:
        page.goto(leave)
        page.get_by_role("button", name="Unsubscribe", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    page.add_script_tag(path=str(axe_script))
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    assert results["violations"] == [], (
        f"{name} ({viewport}, {scheme}):\n{accessibility.describe(results['violations'])}"
    )
