"""Webhook deliveries end to end: an editor's action queues them, a real worker (``manage.py
db_worker``, a subprocess on the test's database) sends them, and a real receiver (an HTTP server of
the test's own, on 127.0.0.1) verifies each signature as a partner would, answering as the test
scripts it: failures are retried on the (scaled) Standard Webhooks schedule, a slow receiver times
out, a redirect is not followed, and nothing is delivered twice."""

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from articles import publishing
from articles.models import Article, Status
from distribution.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from distribution.ninjs import story_uri
from distribution.webhooks.sending import deliver
from tests.conftest import free_port
from tests.workers import wait_until

CHANGELIST = "/admin/articles/article/"
# The day's schedule in a hundredth: 0.05 s before the second attempt, 3 s before the third.
RETRY_SCALE = 0.01
TIMEOUT = 0.5
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_database")]


class Receiver:
    """A partner's webhook receiver on 127.0.0.1. It records every request (time, path, headers,
    body) and answers each POST with the next of ``script``, then 204: a status code, ``("sleep",
    seconds)`` to answer 204 that much later, or ``("redirect", location)`` for a 302. With a
    ``certificate`` (its file and its key's), it answers over TLS."""

    def __init__(self, script=(), certificate=None):
        self.script = list(script)
        self.requests = []
        self.lock = threading.Lock()
        self.port = free_port()
        scheme = "https" if certificate else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hooks/newsroom"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append((time.monotonic(), self.path, dict(self.headers), body))
                    step = receiver.script.pop(0) if receiver.script else 204
                if isinstance(step, tuple) and step[0] == "sleep":
                    time.sleep(step[1])
                    step = 204
                if isinstance(step, tuple):  # a redirect
                    self.send_response(302)
                    self.send_header("Location", step[1])
                else:
                    self.send_response(step)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if certificate:  # (certificate file, key file): answer over TLS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def verified(self, secret):
        """Each POST's body, checked as a partner checks it (Standard Webhooks): a bad signature raises."""
        return [Webhook(secret).verify(body, headers) for _, _, headers, body in self.requests]

    def message_ids(self):
        return [headers["webhook-id"] for _, _, headers, _ in self.requests]


@pytest.fixture
def webhook_settings(settings):
    settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.NEWSROOM_WEBHOOK_RETRY_SCALE = RETRY_SCALE
    settings.NEWSROOM_WEBHOOK_TIMEOUT = TIMEOUT
    return settings


@pytest.fixture
def start_sender(start_worker, webhook_settings):
    """Start a worker that may send to 127.0.0.1, on the scaled schedule and the short timeout."""

    def start(scale=RETRY_SCALE):
        return start_worker(
            NEWSROOM_WEBHOOKS_ALLOW_PRIVATE="1",
            NEWSROOM_WEBHOOK_RETRY_SCALE=str(scale),
            NEWSROOM_WEBHOOK_TIMEOUT=str(TIMEOUT),
        )

    return start


def endpoint_for(receiver, events=tuple(WebhookEvent.values)):
    return WebhookEndpoint.objects.create(name="Wire partner", url=receiver.url, events=list(events))


@pytest.fixture
def draft(make_article):
    return make_article(
        "Envoy lands in Beijing", tags=("china",), status=Status.DRAFT, published_at=None, slug="envoy-lands"
    )


def publish_in_admin(client, editor, article):
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "publish_now", "_selected_action": [article.pk]})
    assert response.status_code == 302
    assert Article.objects.published().filter(pk=article.pk).exists()


def worker_idle():
    """No task waiting or running: everything the worker was asked to send has been sent."""
    return not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()


def attempts_of(delivery):
    return [(attempt.response_code, attempt.error) for attempt in delivery.attempt_log.all()]


def test_publishing_in_the_admin_sends_one_signed_ninjs_message_from_the_worker(
    client, editor, draft, start_sender
):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        # The editor's request only queued it: nothing has been sent.
        assert receiver.requests == []
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING

        start_sender()
        wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
        [message] = receiver.verified(endpoint.secret)

    assert message["type"] == "story.published"
    assert message["data"]["uri"] == story_uri(draft)
    assert message["data"]["headlines"][0]["value"] == "Envoy lands in Beijing"
    [(_, path, headers, _)] = receiver.requests
    assert path == "/hooks/newsroom"
    assert headers["webhook-id"] == delivery.message_id
    assert headers["Content-Type"] == "application/json"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_response_code) == (1, 204)
    assert attempts_of(delivery) == [(204, "")]


def test_a_receiver_failing_then_recovering_gets_the_message_once_after_a_backoff(
    client, editor, draft, start_sender
):
    with Receiver(script=[500]) as receiver:
        endpoint = endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        start_sender()
        wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
        wait_until(worker_idle)  # a wrongful extra attempt would have been sent by now
        messages = receiver.verified(endpoint.secret)

    delivery = WebhookDelivery.objects.get()
    assert attempts_of(delivery) == [(500, "Answered 500."), (204, "")]
    assert (delivery.attempts, delivery.last_error, delivery.last_response_code) == (2, "", 204)
    # The same message (the same webhook-id, body and type), signed afresh for the retry.
    assert len(messages) == 2 and messages[0] == messages[1]
    assert len(set(receiver.message_ids())) == 1
    first, second = (at for at, *_ in receiver.requests)
    assert second - first >= 5 * RETRY_SCALE
    # The first attempt's task failed with its reason, which an editor reads in Task results.
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "attempt 1 of 8 to Wire partner failed: Answered 500.; trying again in" in failed.traceback


def test_a_receiver_slower_than_the_timeout_is_logged_as_timed_out_and_tried_again(
    client, editor, draft, start_sender
):
    with Receiver(script=[("sleep", TIMEOUT * 4)]) as receiver:
        endpoint = endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        start_sender()
        wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED)
        assert len(receiver.verified(endpoint.secret)) == 2

    [(code, error), second] = attempts_of(WebhookDelivery.objects.get())
    assert code is None and error == f"Timed out after {TIMEOUT:g} s waiting for 127.0.0.1:{receiver.port}."
    assert second == (204, "")
    assert WebhookDelivery.objects.get().attempt_log.first().duration_ms >= TIMEOUT * 1000


def test_a_redirect_to_a_private_address_is_not_followed_and_is_logged_with_its_location(
    client, editor, draft, start_sender
):
    with Receiver(script=[("redirect", "http://10.0.0.1/")] * 2) as receiver:
        endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        start_sender()
        # Each attempt is logged after its POST was answered: both POSTs are in by then.
        wait_until(lambda: WebhookDelivery.objects.get().attempts >= 2)
        requests = list(receiver.requests)

    expected = "Answered 302 redirecting to http://10.0.0.1/: redirects are not followed."
    assert attempts_of(WebhookDelivery.objects.get())[:2] == [(302, expected)] * 2
    # Only the endpoint was asked, once per attempt; the third attempt waits 3 s.
    assert [path for _, path, _, _ in requests] == ["/hooks/newsroom"] * 2


def test_a_correction_and_a_takedown_reach_the_partner_as_their_own_events(editor, draft, start_sender):
    story = draft
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver, events=["corrected", "unpublished"])
        publishing.publish(story, by=editor)  # not an event this partner takes
        publishing.correct(story, "An earlier version gave the wrong day.", by=editor)
        publishing.unpublish(story, by=editor)
        start_sender()
        wait_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2)
        corrected, unpublished = sorted(receiver.verified(endpoint.secret), key=lambda m: m["type"])

    assert corrected["type"] == "story.corrected"
    assert any(
        "An earlier version gave the wrong day." in description["value"]
        for description in corrected["data"]["descriptions"]
        if description["role"] == "correction"
    )
    assert unpublished["type"] == "story.unpublished"
    assert unpublished["data"] == {"uri": story_uri(story), "slug": story.slug, "id": story.pk}


def test_a_delivery_queued_twice_and_raced_by_two_workers_is_posted_once(client, editor, draft, start_sender):
    with Receiver(script=[("sleep", 0.3)]) as receiver:
        endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        delivery = WebhookDelivery.objects.get()
        deliver.enqueue(delivery.pk)  # a second task for the same delivery
        assert DBTaskResult.objects.filter(status="READY").count() == 2
        start_sender()
        start_sender()
        wait_until(lambda: not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists())
        wait_until(worker_idle)
        assert len(receiver.requests) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


def test_a_receiver_that_never_recovers_is_given_up_after_the_days_attempts(
    client, editor, draft, start_sender
):
    with Receiver(script=[503] * 20) as receiver:
        endpoint_for(receiver)
        publish_in_admin(client, editor, draft)
        # The whole day (99,305 s) in about five seconds.
        start_sender(scale=0.00005)
        wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.FAILED, timeout=60)
        wait_until(worker_idle)
        assert len(receiver.requests) == 8

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 8 and delivery.next_attempt_at is None
    assert delivery.last_error == "Answered 503. (gave up after 8 attempts)"
    assert [code for code, _ in attempts_of(delivery)] == [503] * 8
    body = json.loads(delivery.payload)
    assert body["type"] == "story.published"
