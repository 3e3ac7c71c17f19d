"""The readers' newsletter pages, as a reader meets them: sign up, check the inbox, confirm from the
email, unsubscribe (one list, everything, or be forgotten), and an address that shows up nowhere else."""

import re
from datetime import timedelta

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from distribution.emails import mailing_message, unsubscribe_url
from distribution.models import Delivery, Mailing, Subscriber, Subscription
from distribution.sending import send_confirmation

pytestmark = pytest.mark.django_db

SIGNUP = "/newsletters/"
ADDRESS = "reader@example.org"


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def sign_up(client, email=ADDRESS, lists=("briefing",)):
    return client.post(SIGNUP, {"email": email, "list": list(lists)})


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks):
    """Sign up through the form and return ``send()``: runs the queued task, returns the email."""

    def make(email=ADDRESS, lists=("briefing",)):
        with django_capture_on_commit_callbacks(execute=True):
            response = sign_up(client, email, lists)
        assert response.status_code == 302
        subscriber = Subscriber.objects.get(email=email.strip().lower())
        send_confirmation.call(subscriber.pk, list(lists))
        return mail.outbox[-1]

    return make


def confirm_path(message):
    found = re.search(r"https?://[^/\s]+(/newsletters/confirm/[^/\s\"]+/)", message.body)
    assert found, message.body
    return found.group(1)


def subscribed(email=ADDRESS, keys=("briefing",)):
    subscriber = Subscriber.objects.create(email=email)
    for key in keys:
        Subscription.objects.create(subscriber=subscriber, list_key=key, confirmed_at=timezone.now())
    return subscriber


def a_mailing():
    return Mailing.objects.create(
        kind="briefing", list_key="briefing", subject="Today", html="<p>x</p>", text="x"
    )


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_footer_links_to_the_newsletters(client, make_article):
    make_article()
    footer = page(client.get("/")).find("footer")
    assert footer.find("a", href=SIGNUP).get_text(strip=True) == "Newsletters"


def test_signup_page_offers_briefing_alerts_sections_and_topics(client, make_article, make_section):
    make_article(section="Diplomacy", tags=["Trade talks"])
    make_section("Security")
    html = page(client.get(SIGNUP))
    values = [box["value"] for box in html.select("input[type=checkbox][name=list]")]
    assert {"briefing", "alerts", "section:diplomacy", "section:security", "topic:trade-talks"} <= set(values)
    text = html.get_text(" ")
    assert "The daily briefing" in text and "Breaking news" in text and "Trade talks" in text
    checked = [box["value"] for box in html.select("input[name=list][checked]")]
    assert checked == ["briefing"]


def test_signup_page_hides_topics_only_drafts_carry(client, make_article):
    make_article(status="draft", published_at=None, tags=["Secret summit"])
    assert "Secret summit" not in client.get(SIGNUP).content.decode()


def test_a_topic_in_the_address_is_preselected_and_an_unknown_list_ignored(client, make_article):
    make_article(tags=["Trade talks"])
    checked = page(client.get(SIGNUP + "?list=topic:trade-talks")).select("input[name=list][checked]")
    assert [box["value"] for box in checked] == ["topic:trade-talks"]
    response = client.get(SIGNUP + "?list=topic:no-such-topic")
    assert response.status_code == 200
    html = page(response)
    assert [box["value"] for box in html.select("input[name=list][checked]")] == ["briefing"]
    assert "no-such-topic" not in response.content.decode()


def test_good_signup_queues_the_email_and_stores_pending_subscriptions(
    client, make_article, django_capture_on_commit_callbacks
):
    make_article(section="Diplomacy")
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, lists=["briefing", "section:diplomacy"])
    assert response.status_code == 302 and response["Location"] == "/newsletters/check-your-inbox/"
    assert mail.outbox == []  # nothing is sent in the reader's request
    queued = DBTaskResult.objects.all()
    assert queued.count() == 1 and "send_confirmation" in queued.get().task_path
    subscriber = Subscriber.objects.get(email=ADDRESS)
    rows = subscriber.subscriptions.order_by("list_key")
    assert [(s.list_key, s.confirmed_at) for s in rows] == [("briefing", None), ("section:diplomacy", None)]
    inbox = client.get(response["Location"])
    assert inbox.status_code == 200 and "Check your inbox" in inbox.content.decode()


def test_confirmation_email_has_subject_text_html_and_a_working_link(client, signed_up):
    message = signed_up(lists=("briefing", "alerts"))
    assert message.to == [ADDRESS]
    assert message.subject.startswith("Confirm your") and "newsletters" in message.subject
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    path = confirm_path(message)
    assert path in html and path in message.body
    assert "The daily briefing" in message.body and "Breaking news" in message.body

    shown = client.get(path)
    assert shown.status_code == 200
    assert page(shown).find("button", string=re.compile("Yes")) is not None
    # A mail scanner's GET confirms nothing.
    assert not Subscription.objects.confirmed().exists()

    done = client.post(path)
    assert done.status_code == 200
    text = page(done).get_text(" ")
    assert "You are subscribed" in text and "The daily briefing" in text and "Breaking news" in text
    assert Subscription.objects.confirmed().count() == 2


def test_a_used_link_answers_400_used(client, signed_up):
    path = confirm_path(signed_up())
    client.post(path)
    for method in (client.get, client.post):
        replay = method(path)
        assert replay.status_code == 400
        assert "used" in page(replay).find("h1").get_text()


def test_a_link_older_than_the_confirmation_days_has_expired(client, signed_up, settings):
    start = timezone.now() - timedelta(days=settings.NEWSROOM_CONFIRMATION_DAYS + 1)
    with time_machine.travel(start, tick=False):
        path = confirm_path(signed_up())
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 400
        assert "expired" in page(response).find("h1").get_text()
    assert not Subscription.objects.confirmed().exists()


def test_a_link_inside_the_confirmation_days_still_works(client, signed_up, settings):
    start = timezone.now() - timedelta(days=settings.NEWSROOM_CONFIRMATION_DAYS) + timedelta(hours=1)
    with time_machine.travel(start, tick=False):
        path = confirm_path(signed_up())
    assert client.post(path).status_code == 200
    assert Subscription.objects.confirmed().count() == 1


@pytest.mark.parametrize("token", ["garbage", "a" * 300, "x:y:z", "%00"])
def test_a_garbage_confirmation_token_answers_400(client, db, token):
    for method in (client.get, client.post):
        response = method(f"/newsletters/confirm/{token}/")
        assert response.status_code == 400
        assert "does not work" in page(response).find("h1").get_text()


def test_a_truncated_confirmation_link_answers_400(client, signed_up):
    path = confirm_path(signed_up())
    token = path.rstrip("/").rsplit("/", 1)[1]
    for cut in (token[:-5], token[: len(token) // 2], token.split(":")[0]):
        response = client.post(f"/newsletters/confirm/{cut}/")
        assert response.status_code == 400
    assert not Subscription.objects.confirmed().exists()


def test_signing_up_again_replaces_the_old_link(client, signed_up):
    old = confirm_path(signed_up())
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        new = confirm_path(signed_up(lists=("alerts",)))
        assert old != new
        refused = client.post(old)
        assert refused.status_code == 400 and "used" in page(refused).find("h1").get_text()
        assert client.post(new).status_code == 200
    assert set(Subscription.objects.confirmed().values_list("list_key", flat=True)) == {"briefing", "alerts"}


def test_signing_up_twice_within_two_minutes_sends_one_email(
    client, signed_up, django_capture_on_commit_callbacks
):
    signed_up()
    later = time_machine.travel(timezone.now() + timedelta(seconds=90))
    with later, django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sign_up(client)
    assert response.status_code == 302
    assert callbacks == [] and DBTaskResult.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("email", "lists", "message", "field"),
    [
        ("not-an-address", ["briefing"], "is not an email address we can send to", "email"),
        ("someone@mailinator.com", ["briefing"], "disposable", "email"),
        ("someone@eu.mailinator.com", ["briefing"], "disposable", "email"),
        ("", ["briefing"], "Enter your email address", "email"),
        ("kept@example.org", [], "Choose at least one newsletter", "list"),
        ("kept@example.org", ["topic:no-such-topic"], "There is no newsletter called", "list"),
        ("kept@example.org", ["newspaper"], "There is no newsletter called", "list"),
    ],
)
def test_a_bad_signup_is_refused_with_the_message_by_the_field(
    client, email, lists, message, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, {"email": email, "list": lists})
    assert response.status_code == 400
    html = page(response)
    alert = html.find(attrs={"role": "alert"})
    assert alert is not None and message in alert.get_text()
    email_input = html.find("input", attrs={"name": "email"})
    assert email_input["value"] == email
    fieldset = html.find("fieldset")
    # The field at fault, and only that one, is marked, described by the message and focused.
    at_fault, other = (email_input, fieldset) if field == "email" else (fieldset, email_input)
    assert at_fault["aria-describedby"] == alert["id"]
    assert not other.has_attr("aria-describedby")
    assert email_input.has_attr("aria-invalid") is (field == "email")
    focused = html.select("[autofocus]")
    assert len(focused) == 1
    assert focused[0] is email_input if field == "email" else focused[0].find_parent("fieldset") is fieldset
    assert alert.find_parent("form") is email_input.find_parent("form")
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    assert DBTaskResult.objects.count() == 0 and mail.outbox == []


def test_a_refused_signup_keeps_the_reader_s_choices(client, make_article):
    make_article(tags=["Trade talks"])
    response = client.post(SIGNUP, {"email": "nope", "list": ["alerts", "topic:trade-talks"]})
    checked = {box["value"] for box in page(response).select("input[name=list][checked]")}
    assert checked == {"alerts", "topic:trade-talks"}


def test_upper_case_and_spaces_are_trimmed_and_match_an_existing_subscriber(client, signed_up):
    existing = subscribed("reader@example.org", keys=("alerts",))
    message = signed_up(email="  Reader@EXAMPLE.org \t")
    assert Subscriber.objects.count() == 1
    subscriber = Subscriber.objects.get()
    assert subscriber.pk == existing.pk and subscriber.email == "reader@example.org"
    assert message.to == ["reader@example.org"]
    assert set(subscriber.subscriptions.values_list("list_key", flat=True)) == {"alerts", "briefing"}


def test_unsubscribe_page_shows_the_list_and_changes_nothing(client, db):
    subscriber = subscribed(keys=("briefing", "alerts"))
    response = client.get(path_of(unsubscribe_url(subscriber, "briefing")))
    assert response.status_code == 200
    text = page(response).get_text(" ")
    assert "The daily briefing" in text and "Breaking news" in text
    assert subscriber.subscriptions.count() == 2


def test_one_click_unsubscribe_without_csrf_leaves_that_list_only(db):
    subscriber = subscribed(keys=("briefing", "alerts"))
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path_of(unsubscribe_url(subscriber, "briefing")),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "The daily briefing" in page(response).get_text(" ")
    assert list(subscriber.subscriptions.values_list("list_key", flat=True)) == ["alerts"]


def test_the_list_unsubscribe_headers_point_at_a_working_one_click_address(db):
    subscriber = subscribed(keys=("briefing",))
    mailing = Mailing.objects.create(
        kind="briefing", list_key="briefing", subject="Today", html="<p>x</p>", text="x"
    )
    delivery = Delivery.objects.create(mailing=mailing, subscriber=subscriber)

    message = mailing_message(mailing, delivery, subscriber)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        path_of(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and not subscriber.subscriptions.exists()


def test_everything_leaves_every_list(client, db):
    subscriber = subscribed(keys=("briefing", "alerts", "section:world"))
    response = Client(enforce_csrf_checks=True).post(
        path_of(unsubscribe_url(subscriber, "briefing")), {"everything": "1"}
    )
    assert response.status_code == 200
    assert not subscriber.subscriptions.exists()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_forget_deletes_the_address_its_subscriptions_and_send_log(client, db):
    subscriber = subscribed(keys=("briefing", "alerts"))
    other = subscribed("other@example.org")
    mailing = Mailing.objects.create(
        kind="briefing", list_key="briefing", subject="Today", html="<p>x</p>", text="x"
    )
    Delivery.objects.create(mailing=mailing, subscriber=subscriber, status="sent", sent_at=timezone.now())
    Delivery.objects.create(mailing=mailing, subscriber=other, status="sent", sent_at=timezone.now())
    path = path_of(unsubscribe_url(subscriber, "briefing"))

    response = client.post(path, {"forget": "1"})
    assert response.status_code == 200 and "deleted" in page(response).find("h1").get_text()
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    assert not Subscription.objects.filter(subscriber_id=subscriber.pk).exists()
    assert not Delivery.objects.filter(subscriber_id=subscriber.pk).exists()
    assert Delivery.objects.filter(subscriber=other).count() == 1  # nobody else's log

    again = client.get(path)
    assert again.status_code == 200
    assert "not subscribed" in page(again).find("h1").get_text()
    assert client.post(path, {"forget": "1"}).status_code == 200


def test_a_tampered_unsubscribe_token_answers_400(client, db):
    subscriber = subscribed()
    path = path_of(unsubscribe_url(subscriber, "briefing"))
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, token[:10], "garbage"):
        for method in (client.get, client.post):
            response = method(f"/newsletters/unsubscribe/{bad}/")
            assert response.status_code == 400
    assert subscriber.subscriptions.count() == 1


def test_newsletter_pages_are_never_cached_and_not_indexed(client, signed_up):
    subscriber = subscribed("other@example.org")
    message = signed_up()
    pages = [
        client.get(SIGNUP),
        client.post(SIGNUP, {"email": "bad", "list": ["briefing"]}),
        client.get("/newsletters/check-your-inbox/"),
        client.get(confirm_path(message)),
        client.get("/newsletters/confirm/garbage/"),
        client.get(path_of(unsubscribe_url(subscriber, "briefing"))),
        client.get("/newsletters/unsubscribe/garbage/"),
    ]
    for response in pages:
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, response.request["PATH_INFO"]
        robots = page(response).find("meta", attrs={"name": "robots"})
        assert robots is not None and "noindex" in robots["content"], response.request["PATH_INFO"]


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_subscriber_s_address_appears_on_no_public_page_feed_sitemap_or_api(client, make_article, tmp_path):
    story = make_article(section="Diplomacy", tags=["Trade talks"])
    secret = "hidden.reader@example.org"
    subscriber = subscribed(secret, keys=("briefing", "section:diplomacy", "topic:trade-talks"))
    mailing = Mailing.objects.create(
        kind="briefing", list_key="briefing", subject="Today", html="<p>x</p>", text="x"
    )
    Delivery.objects.create(mailing=mailing, subscriber=subscriber, status="sent", sent_at=timezone.now())
    urls = [
        "/",
        "/articles/",
        story.get_absolute_url(),
        "/sections/diplomacy/",
        "/tags/",
        "/tags/trade-talks/",
        "/search/?q=hidden",
        "/feeds/latest/",
        "/feeds/latest/atom/",
        "/feeds/sections/diplomacy/",
        "/feeds/tags/trade-talks/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
        "/robots.txt",
        "/api/articles/",
        f"/api/articles/{story.slug}/",
        "/api/sections/",
        "/api/tags/",
        "/api/openapi.json",
        f"/api/ninjs/{story.slug}/",
        SIGNUP,
        path_of(unsubscribe_url(subscriber, "briefing")),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert b"hidden.reader" not in _body(response), url

    for fmt in ("md", "json"):
        out = tmp_path / fmt
        call_command("export_articles", str(out), format=fmt)
        files = [p for p in out.rglob("*") if p.is_file()]
        assert files
        for exported in files:
            assert b"hidden.reader" not in exported.read_bytes(), exported


def test_an_address_too_long_to_keep_is_refused_not_a_500(client):
    long_address = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".org"
    assert len(long_address) > 254
    response = client.post(SIGNUP, {"email": long_address, "list": ["briefing"]})
    assert response.status_code == 400
    assert page(response).find(attrs={"role": "alert"}) is not None
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("key", ["topic:\x00", "section:\x00", "topic:" + "x" * 500, "\x00"])
def test_odd_list_names_answer_the_page_or_400_never_500(client, key):
    shown = client.get(SIGNUP, {"list": key})
    assert shown.status_code == 200
    assert [box["value"] for box in page(shown).select("input[name=list][checked]")] == ["briefing"]
    refused = client.post(SIGNUP, {"email": ADDRESS, "list": [key]})
    assert refused.status_code == 400
    assert "There is no newsletter called" in page(refused).find(attrs={"role": "alert"}).get_text()
    assert not Subscriber.objects.exists()


def test_an_address_with_a_nul_character_is_refused(client):
    response = client.post(SIGNUP, {"email": "reader\x00@example.org", "list": ["briefing"]})
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_an_unsubscribe_link_for_a_list_already_left_says_so(client):
    subscriber = subscribed(keys=("briefing", "alerts"))
    path = path_of(unsubscribe_url(subscriber, "briefing"))
    client.post(path)
    response = client.get(path)
    assert response.status_code == 200
    html = page(response)
    text = html.get_text(" ")
    assert "no longer get The daily briefing" in text
    assert html.find("button", string="Unsubscribe") is None
    assert "Breaking news" in text  # still offered: leave everything, or be forgotten
    assert client.post(path).status_code == 200
    assert list(subscriber.subscriptions.values_list("list_key", flat=True)) == ["alerts"]


def test_a_confirmation_link_of_a_forgotten_address_does_not_work(client, signed_up):
    path = confirm_path(signed_up())
    Subscriber.objects.get().delete()
    response = client.post(path)
    assert response.status_code == 400 and "does not work" in page(response).find("h1").get_text()


def test_a_topic_named_in_the_address_is_offered_beyond_the_most_used(client, make_article):
    for n in range(14):
        make_article(tags=[f"Common topic {n:02d}", "Everywhere"])
    make_article(tags=["Rare topic"])
    html = page(client.get(SIGNUP))
    offered = [box["value"] for box in html.select("input[name=list]")]
    assert "topic:everywhere" in offered and "topic:rare-topic" not in offered
    html = page(client.get(SIGNUP, {"list": "topic:rare-topic"}))
    assert [box["value"] for box in html.select("input[name=list][checked]")] == ["topic:rare-topic"]


@pytest.mark.parametrize("count", [1, 20])
def test_signup_page_query_count_is_flat(client, make_article, django_assert_num_queries, count):
    for n in range(count):
        make_article(section=f"Section {n}", tags=[f"Topic {n}"])
    with django_assert_num_queries(3):  # sections, topics, the navigation
        response = client.get(SIGNUP)
    assert response.status_code == 200


def test_a_link_for_lists_already_confirmed_says_so_instead_of_an_empty_list(client, signed_up):
    subscribed(keys=("briefing",))
    path = confirm_path(signed_up())
    shown = client.get(path)
    assert shown.status_code == 200
    html = page(shown)
    assert "already" in html.find("main").get_text(" ") and "The daily briefing" in html.get_text(" ")
    assert html.find("main").find("button", string=re.compile("Yes")) is None
    assert client.post(path).status_code == 200


def test_signing_up_does_not_tell_who_is_subscribed_already(client):
    subscribed("known@example.org", keys=("briefing",))
    known = sign_up(client, "known@example.org")
    unknown = sign_up(client, "stranger@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content


def test_a_sign_up_naming_hundreds_of_lists_is_refused_before_looking_each_up(
    client, django_assert_max_num_queries
):
    keys = [f"topic:made-up-{n}" for n in range(500)]
    with django_assert_max_num_queries(8):  # as many as for one list: none is looked up
        response = client.post("/newsletters/", {"email": "reader@readers.example", "list": keys})
    assert response.status_code == 400
    assert "Choose at most 60 newsletters" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_an_every_list_link_for_a_reader_on_no_list_says_so_and_offers_nothing_to_press(client):
    from distribution.subscribing import EVERY_LIST, unsubscribe_token

    subscriber = Subscriber.objects.create(email="left@readers.example")
    response = client.get(f"/newsletters/unsubscribe/{unsubscribe_token(subscriber, EVERY_LIST)}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "on none of our newsletters" in page and "Unsubscribe from everything" not in page
