"""Webhooks for partners, without a worker: the Standard Webhooks signature, the address guard (in
the admin form and at send time), which event each publishing step makes, what the body carries
(ninjs while a story is out, only its identity once it is down), the admin for editors and not for
reporters, and "Send again". An attempt made here (``deliver.call``) is a real POST to a receiver
on 127.0.0.1 (tests/test_webhooks_delivery.py)."""

import io
import json
import re
import shutil
import subprocess
from datetime import timedelta

import jsonschema
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from articles import publishing
from articles.models import Status
from distribution.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from distribution.ninjs import ninjs_schema, story_uri
from distribution.webhooks.addresses import AddressRefused, check_url
from distribution.webhooks.messages import signed_headers
from distribution.webhooks.receivers import queue_deliveries
from distribution.webhooks.sending import DeliveryFailed, deliver
from tests.conftest import _missing_service
from tests.test_webhooks_delivery import Receiver

ENDPOINTS = "/admin/distribution/webhookendpoint/"
DELIVERIES = "/admin/distribution/webhookdelivery/"
ALL_EVENTS = list(WebhookEvent.values)


@pytest.fixture
def production(settings):
    settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def development(settings):
    settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = True
    settings.NEWSROOM_WEBHOOK_TIMEOUT = 2
    return settings


@pytest.fixture
def story(make_article):
    return make_article(
        "Envoy lands in Beijing",
        slug="envoy-lands",
        dek="A secret dek about the visit.",
        body="The envoy arrived in a motorcade.\n\nA second paragraph.",
        tags=("china",),
    )


def endpoint(url="https://partner.example.org/hooks", events=ALL_EVENTS, **fields):
    return WebhookEndpoint.objects.create(name="Wire partner", url=url, events=list(events), **fields)


def published_delivery(story, url="https://partner.example.org/hooks"):
    endpoint(url)
    [delivery] = queue_deliveries(WebhookEvent.PUBLISHED, story)
    return delivery


# Signing.


def test_each_message_is_signed_so_the_partner_can_verify_it_with_the_secret(db, story):
    delivery = published_delivery(story)
    secret = delivery.endpoint.secret
    assert secret.startswith("whsec_")
    body = delivery.payload.encode()
    headers = signed_headers(delivery.endpoint, delivery.message_id, body, timezone.now())

    assert Webhook(secret).verify(body, headers)["type"] == "story.published"
    assert headers["webhook-id"] == delivery.message_id
    with pytest.raises(WebhookVerificationError):
        Webhook(WebhookEndpoint(url="https://x.example").secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"Envoy", b"Enemy"), headers)


def test_after_a_rotation_the_old_secret_still_verifies_for_a_day_then_only_the_new_one(db, story):
    delivery = published_delivery(story)
    hook = delivery.endpoint
    old = hook.secret
    hook.rotate_secret()
    hook.save()
    body, now = delivery.payload.encode(), timezone.now()
    headers = signed_headers(hook, delivery.message_id, body, now)
    assert Webhook(hook.secret).verify(body, headers) and Webhook(old).verify(body, headers)

    hook.secret_rotated_at = now - timedelta(hours=25)
    headers = signed_headers(hook, delivery.message_id, body, now)
    assert Webhook(hook.secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


# The address guard.


@pytest.mark.parametrize(
    "url, refused",
    [
        ("https://127.0.0.1/hooks", "127.0.0.1, a private or reserved address"),
        ("https://localhost:8443/hooks", "a private or reserved address"),
        ("https://10.1.2.3/hooks", "10.1.2.3, a private or reserved address"),
        ("https://192.168.1.20/hooks", "192.168.1.20, a private"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a private"),
        ("https://100.64.0.1/", "100.64.0.1, a private"),
        ("https://0.0.0.0/", "0.0.0.0, a private"),
        ("https://224.0.0.1/", "224.0.0.1, a private"),
        ("https://[::1]/hooks", "::1, a private"),
        ("https://[fd00::1]/hooks", "fd00::1, a private"),
        ("https://[fe80::1]/hooks", "fe80::1, a private"),
        ("https://[::ffff:10.0.0.1]/hooks", "::ffff:10.0.0.1, a private"),
        ("http://93.184.216.34/hooks", "must start with https://"),
        ("ftp://93.184.216.34/hooks", "must start with https://"),
        ("https://user:pw@93.184.216.34/hooks", "no user name or password"),
        ("https://no-such-host.invalid/hooks", "could not be found"),
    ],
)
def test_in_production_webhooks_go_only_to_https_on_public_addresses(production, url, refused):
    with pytest.raises(AddressRefused, match=refused.replace("(", r"\(")):
        check_url(url)


def test_a_public_address_is_accepted_and_connected_to_as_checked(production):
    target = check_url("https://93.184.216.34:8443/hooks?partner=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/hooks?partner=1")
    assert target.host_header == "93.184.216.34:8443"


def test_a_name_with_any_private_address_among_its_public_ones_is_refused(production):
    def resolve(host, port, type):
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.0.0.7", port))]

    with pytest.raises(AddressRefused, match="“partner.example.org” resolves to 10.0.0.7"):
        check_url("https://partner.example.org/hooks", resolve=resolve)


def test_in_development_a_receiver_on_this_machine_is_allowed(development):
    assert check_url("http://127.0.0.1:8000/hooks").address == "127.0.0.1"


def test_the_admin_form_refuses_a_private_address_with_a_clear_message(production, client, editor):
    client.force_login(editor)
    for url, message in [
        ("https://10.0.0.1/hooks", "The host “10.0.0.1” resolves to 10.0.0.1, a private or reserved address"),
        ("http://93.184.216.34/hooks", "Webhook URLs must start with https://"),
    ]:
        data = {"name": "Wire partner", "url": url, "events": ["published"], "active": "on"}
        response = client.post(f"{ENDPOINTS}add/", data)
        assert response.status_code == 200
        assert message in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "scheme, refused",
    [
        ("http", "Not sent: Webhook URLs must start with https:// (not “http://”)"),
        ("https", "Not sent: The host “127.0.0.1” resolves to 127.0.0.1, a private or reserved address"),
    ],
)
def test_an_address_allowed_when_saved_is_checked_again_when_sent(db, settings, story, scheme, refused):
    settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        delivery = published_delivery(story, url=receiver.url.replace("http:", f"{scheme}:"))
        settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = False  # production now
        with pytest.raises(DeliveryFailed, match=refused.replace("(", r"\(").replace(")", r"\)")):
            deliver.call(delivery.pk)
        assert receiver.requests == []

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith(refused) and delivery.last_error.endswith("(not retried)")
    assert delivery.attempt_log.get().response_code is None
    assert not DBTaskResult.objects.exists()  # no retry queued


def test_the_request_goes_to_the_checked_address_under_the_endpoints_own_host_name(development, story):
    with Receiver() as receiver:
        delivery = published_delivery(story, url=receiver.url.replace("127.0.0.1", "localhost"))
        deliver.call(delivery.pk)
        [(_, _, headers, _)] = receiver.requests
    assert headers["Host"] == f"localhost:{receiver.port}"


@pytest.fixture
def make_certificate(tmp_path):
    """A self-signed TLS certificate for ``name``: (certificate file, key file)."""
    if shutil.which("openssl") is None:
        _missing_service("openssl is not installed")

    def make(name):
        cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
             "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert, key

    return make


@pytest.mark.parametrize(
    "named, trusted, outcome",
    [
        ("localhost", True, "delivered: 204"),
        ("localhost", False, "TLS with localhost:{port} failed: self-signed certificate"),
        ("partner.example", True, "TLS with localhost:{port} failed: hostname 'localhost' doesn't match"),
    ],
)
def test_https_goes_to_the_checked_address_and_wants_a_trusted_certificate_for_the_endpoints_name(
    development, story, make_certificate, monkeypatch, named, trusted, outcome
):
    """The connection goes to 127.0.0.1 (what ``localhost`` resolved to when checked), and the
    certificate must be trusted and name the endpoint's host."""
    certificate = make_certificate(named)
    if trusted:  # the trust store, as OpenSSL reads it, holds the receiver's certificate
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with Receiver(certificate=certificate) as receiver:
        delivery = published_delivery(story, url=receiver.url.replace("127.0.0.1", "localhost"))
        expected = outcome.format(port=receiver.port)
        if expected.startswith("delivered"):
            assert deliver.call(delivery.pk) == expected
            [(_, _, headers, body)] = receiver.requests
            assert headers["Host"] == f"localhost:{receiver.port}"
            assert Webhook(delivery.endpoint.secret).verify(body, headers)["type"] == "story.published"
        else:
            with pytest.raises(DeliveryFailed, match=re.escape(expected)):
                deliver.call(delivery.pk)
            assert receiver.requests == []


def test_a_redirect_is_not_followed_even_to_the_same_receiver(development, story):
    with Receiver(script=[("redirect", "/elsewhere")]) as receiver:
        delivery = published_delivery(story, url=receiver.url)
        with pytest.raises(DeliveryFailed, match="Answered 302 redirecting to /elsewhere"):
            deliver.call(delivery.pk)
        assert [path for _, path, _, _ in receiver.requests] == ["/hooks/newsroom"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_code) == (DeliveryStatus.PENDING, 302)
    assert DBTaskResult.objects.get().run_after == delivery.next_attempt_at


def test_410_gone_switches_the_endpoint_off_and_says_why(development, story):
    with Receiver(script=[410]) as receiver:
        delivery = published_delivery(story, url=receiver.url)
        with pytest.raises(DeliveryFailed, match="410 Gone"):
            deliver.call(delivery.pk)
    delivery.refresh_from_db()
    hook = delivery.endpoint
    hook.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert not hook.active and "answered 410 Gone" in hook.disabled_reason
    assert WebhookEndpoint.objects.subscribed_to(WebhookEvent.UPDATED) == []


def test_a_delivered_message_is_never_sent_again(development, story):
    with Receiver() as receiver:
        delivery = published_delivery(story, url=receiver.url)
        assert deliver.call(delivery.pk) == "delivered: 204"
        assert deliver.call(delivery.pk).startswith("not due")
        assert len(receiver.requests) == 1


# Which event, and what it carries.


@pytest.mark.django_db(transaction=True)
def test_each_publishing_step_makes_its_event_for_the_endpoints_that_take_it(editor, make_article):
    everything = endpoint(events=ALL_EVENTS)
    first_only = endpoint(events=["published"])
    endpoint(events=ALL_EVENTS, active=False)
    story = make_article("Envoy lands in Beijing", status=Status.DRAFT, published_at=None)

    publishing.publish(story, by=editor)
    publishing.rename(story, "envoy-in-beijing", by=editor)
    publishing.correct(story, "An earlier version misspelt a name.", by=editor)
    publishing.unpublish(story, by=editor)
    publishing.publish(story, by=editor)
    story_id = story.pk
    publishing.delete(story, by=editor)

    def events(hook):
        return list(hook.deliveries.order_by("pk").values_list("event", flat=True))

    assert events(everything) == [
        "published", "updated", "corrected", "unpublished", "published", "unpublished",
    ]  # fmt: skip
    assert events(first_only) == ["published", "published"]
    assert WebhookDelivery.objects.count() == 8
    # Each queued for the worker once the editor's transaction committed.
    queued = DBTaskResult.objects.filter(task_path="distribution.webhooks.sending.deliver")
    assert sorted(result.args_kwargs["args"][0] for result in queued) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )
    deleted = everything.deliveries.order_by("pk").last()
    assert (deleted.article_id, deleted.article_slug) == (story_id, "envoy-in-beijing")


@pytest.mark.django_db(transaction=True)
def test_a_story_taken_down_or_deleted_is_named_and_nothing_of_it_is_sent(editor, story):
    endpoint(events=["unpublished"])
    uri = story_uri(story)
    publishing.unpublish(story, by=editor)  # made public by the fixture, unannounced: no event
    publishing.publish(story, by=editor)
    publishing.unpublish(story, by=editor)
    publishing.publish(story, by=editor)
    story_id = story.pk
    publishing.delete(story, by=editor)

    for delivery in WebhookDelivery.objects.all():
        message = json.loads(delivery.payload)
        assert message["type"] == "story.unpublished"
        assert message["data"] == {"uri": uri, "slug": "envoy-lands", "id": story_id}
        for text in ("Envoy lands", "secret dek", "motorcade", "Ana Ruiz", "china"):
            assert text not in delivery.payload
    assert WebhookDelivery.objects.count() == 2


def test_a_story_out_travels_as_valid_ninjs(db, story):
    delivery = published_delivery(story)
    message = json.loads(delivery.payload)
    assert set(message) == {"type", "timestamp", "data"}
    assert message["timestamp"].endswith("Z")
    validator = jsonschema.Draft202012Validator(
        ninjs_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(message["data"])
    assert message["data"]["headlines"][0]["value"] == "Envoy lands in Beijing"
    assert (delivery.article_id, delivery.article_slug) == (story.pk, "envoy-lands")


def test_a_story_no_longer_public_when_the_message_is_written_is_not_sent(db, make_article):
    endpoint()
    draft = make_article("A draft", status=Status.DRAFT, published_at=None)
    assert queue_deliveries(WebhookEvent.UPDATED, draft) == []
    assert not WebhookDelivery.objects.exists()


# The admin.


def test_editors_register_an_endpoint_and_are_shown_its_secret(development, client, editor):
    client.force_login(editor)
    data = {"name": "Wire partner", "url": "http://127.0.0.1:9/hooks", "events": ["published", "corrected"]}
    response = client.post(f"{ENDPOINTS}add/", {**data, "active": "on"})
    assert response.status_code == 302
    hook = WebhookEndpoint.objects.get()
    assert (hook.events, hook.created_by) == (["published", "corrected"], editor)

    page = client.get(f"{ENDPOINTS}{hook.pk}/change/").content.decode()
    assert hook.secret in page and "Make a new secret" in page
    listing = client.get(ENDPOINTS).content.decode()
    assert "Story published, Correction added" in listing and "0 delivered" in listing

    old = hook.secret
    response = client.post(f"{ENDPOINTS}{hook.pk}/change/", {**data, "active": "on", "new_secret": "on"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.secret != old and hook.previous_secret == old
    assert "has a new secret" in client.get(ENDPOINTS).content.decode()


def test_an_endpoint_needs_at_least_one_event(development, client, editor):
    client.force_login(editor)
    response = client.post(f"{ENDPOINTS}add/", {"name": "Wire", "url": "http://127.0.0.1:9/", "active": "on"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_reporters_see_no_webhooks(client, reporter, story):
    published_delivery(story)
    client.force_login(reporter)
    for url in (ENDPOINTS, f"{ENDPOINTS}add/", DELIVERIES):
        assert client.get(url).status_code == 403
    assert "Webhook" not in client.get("/admin/").content.decode()


def test_the_delivery_log_shows_each_attempt_read_only(development, client, editor, story):
    with Receiver(script=[500]) as receiver:
        delivery = published_delivery(story, url=receiver.url)
        with pytest.raises(DeliveryFailed):
            deliver.call(delivery.pk)
    client.force_login(editor)
    listing = client.get(f"{DELIVERIES}?status__exact=pending").content.decode()
    assert "envoy-lands" in listing and "Answered 500." in listing
    page = client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    assert delivery.message_id in page and "Answered 500." in page and "500" in page
    assert "Envoy lands in Beijing" in page  # the payload as sent
    assert 'name="_save"' not in page  # read-only
    assert "1 failed" not in client.get(ENDPOINTS).content.decode()  # pending, not given up
    # Editors read the task queue's results too, where each failed attempt leaves its error.
    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200


def test_send_again_queues_a_failed_delivery_and_leaves_a_delivered_one_alone(
    development, client, editor, story, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        failed = published_delivery(story, url=receiver.url)
        [delivered] = queue_deliveries(WebhookEvent.UPDATED, story)
        WebhookDelivery.objects.filter(pk=failed.pk).update(
            status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None, last_error="Answered 503."
        )
        deliver.call(delivered.pk)
        client.force_login(editor)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                DELIVERIES,
                {"action": "send_again", "_selected_action": [failed.pk, delivered.pk]},
                follow=True,
            )
        page = response.content.decode()
        assert "1 failed delivery(ies) queued to be sent again." in page
        assert "1 delivery(ies) left as they are" in page
        [queued] = DBTaskResult.objects.filter(status="READY")
        assert queued.args_kwargs["args"] == [failed.pk]

        assert deliver.call(failed.pk) == "delivered: 204"
        assert deliver.call(delivered.pk).startswith("not due")
        assert len(receiver.requests) == 2  # the update once, the failed one once

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.max_attempts) == (DeliveryStatus.DELIVERED, 9, 9)


def test_send_again_is_for_whoever_manages_the_endpoints(client, django_user_model, story):
    delivery = published_delivery(story)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    reader = django_user_model.objects.create_user("auditor", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(reader)
    assert "Send again" not in client.get(DELIVERIES).content.decode()
    client.post(DELIVERIES, {"action": "send_again", "_selected_action": [delivery.pk]})
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_delivery_whose_task_was_lost_is_queued_again_once(db, story):
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = published_delivery(story)  # its task never queued (no commit here): as if the process died
    [waiting] = queue_deliveries(WebhookEvent.UPDATED, story)
    deliver.enqueue(waiting.pk)  # late, but its task is there
    [sending] = queue_deliveries(WebhookEvent.CORRECTED, story)
    WebhookDelivery.objects.update(next_attempt_at=long_ago)
    WebhookDelivery.objects.filter(pk=sending.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))

    out = io.StringIO()
    call_command("requeue_webhooks", stdout=out)
    assert out.getvalue() == "1 webhook delivery(ies) queued again.\n"
    call_command("requeue_webhooks", stdout=out)  # its task is now waiting: nothing more
    tasks = DBTaskResult.objects.filter(task_path="distribution.webhooks.sending.deliver")
    assert sorted(task.args_kwargs["args"][0] for task in tasks) == sorted([lost.pk, waiting.pk])


def test_the_admin_lists_cost_the_same_queries_for_one_endpoint_or_many(client, editor, story):
    client.force_login(editor)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    published_delivery(story)
    few = queries(ENDPOINTS), queries(DELIVERIES)
    for n in range(10):
        endpoint(url=f"https://partner{n}.example.org/hooks")
    assert len(queue_deliveries(WebhookEvent.PUBLISHED, story)) == 11
    assert (queries(ENDPOINTS), queries(DELIVERIES)) == few


def test_the_workers_clock_queues_a_lost_delivery_again_without_cron(db, story):
    from distribution import clock

    lost = published_delivery(story)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    assert "webhooks queued again 1" in clock.tick.call()
    tasks = DBTaskResult.objects.filter(task_path="distribution.webhooks.sending.deliver")
    assert [task.args_kwargs["args"][0] for task in tasks] == [lost.pk]
