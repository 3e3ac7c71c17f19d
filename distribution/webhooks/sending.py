"""Sending a webhook delivery: one task run is one attempt, made by the worker.

Only a 2xx answer delivers. Anything else is a failed attempt, logged with its code or error and
tried again on the Standard Webhooks schedule (distribution.models.webhooks.RETRY_SCHEDULE):
another status, a timeout, a refused connection, and a redirect, which is never followed (its
Location is logged). Not tried again, because trying cannot help: an address the guard refuses, and
410 Gone, which also switches the endpoint off (the Standard Webhooks advice: the partner says the
endpoint is gone for good), with the reason shown on the endpoint until an editor ticks it back on.

A task enqueued twice for the same delivery sends it once (``WebhookDelivery.claim``). A worker
that dies between sending and recording leaves the delivery claimed for ``LEASE``; after that it is
sent again with the same ``webhook-id``, which receivers de-duplicate on. ``requeue_stranded``
(``manage.py requeue_webhooks``, from cron) queues again a delivery whose task was lost that way.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from distribution.models import WebhookDelivery
from distribution.webhooks.addresses import AddressRefused, HostNotFound, check_url
from distribution.webhooks.messages import signed_headers

# Bytes of an error answer kept for the log: enough for the partner's message, not their page.
ERROR_EXCERPT = 200


class DeliveryFailed(Exception):
    """An attempt failed; the task result in the admin carries this message."""


@dataclass
class Outcome:
    response_code: int | None = None
    error: str = ""
    retry: bool = True
    gone: bool = False

    @property
    def delivered(self):
        return self.response_code is not None and 200 <= self.response_code < 300


def lease():
    # Longer than an attempt can take (connect and read each up to the timeout).
    return timedelta(seconds=3 * settings.NEWSROOM_WEBHOOK_TIMEOUT + 30)


@task()
def deliver(delivery_id):
    """Make one attempt at delivery ``delivery_id``, if it is due and not delivered; queue the next
    one when it fails and attempts are left. Raises ``DeliveryFailed`` on a failed attempt."""
    delivery = WebhookDelivery.claim(delivery_id, timezone.now(), lease())
    if delivery is None:
        return "not due: delivered, given up, waiting for a later attempt or being sent"
    started, clock = timezone.now(), time.monotonic()
    outcome = attempt(delivery, started)
    duration_ms = round((time.monotonic() - clock) * 1000)
    if outcome.gone:
        delivery.endpoint.disable(f"Switched off {started:%Y-%m-%d %H:%M} UTC: it answered 410 Gone.")
    again = delivery.record_attempt(
        at=started,
        duration_ms=duration_ms,
        response_code=outcome.response_code,
        error=outcome.error,
        delivered=outcome.delivered,
        retry=outcome.retry,
        now=timezone.now(),
    )
    if outcome.delivered:
        return f"delivered: {outcome.response_code}"
    summary = f"attempt {delivery.attempts} of {delivery.max_attempts} to {delivery.endpoint} failed: "
    if again:
        deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        raise DeliveryFailed(f"{summary}{outcome.error}; trying again in {max(wait, 0):.0f} s")
    raise DeliveryFailed(f"{summary}{delivery.last_error}")


def attempt(delivery, now):
    """POST the delivery to its endpoint once, signed at ``now``; what came of it."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        return Outcome(error="Not sent: the endpoint is switched off.", retry=False)
    try:
        target = check_url(endpoint.url)
    except HostNotFound as error:  # DNS may be back by the next attempt
        return Outcome(error=f"Not sent: {error}")
    except AddressRefused as error:
        return Outcome(error=f"Not sent: {error}", retry=False)
    body = delivery.payload.encode()
    headers = signed_headers(endpoint, delivery.message_id, body, now)
    return post(target, body, headers)


def post(target, body, headers):
    """POST ``body`` to the checked ``target``: to its checked IP address, presenting its host name
    for TLS (certificate and SNI) and in the Host header; no redirect followed, no retry."""
    seconds = settings.NEWSROOM_WEBHOOK_TIMEOUT
    options = {
        "host": target.address,
        "port": target.port,
        "timeout": urllib3.Timeout(connect=seconds, read=seconds),
        "retries": False,
        "maxsize": 1,
    }
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **options, server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED"
        )
    else:
        pool = urllib3.HTTPConnectionPool(**options)
    with pool:
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": target.host_header},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                excerpt = response.read(ERROR_EXCERPT) if response.status >= 300 else b""
            finally:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as error:  # a subclass of the timeouts
            return Outcome(error=f"Could not connect to {target.host_header}: {reason(error)}")
        except urllib3.exceptions.TimeoutError:
            return Outcome(error=f"Timed out after {seconds:g} s waiting for {target.host_header}.")
        except urllib3.exceptions.SSLError as error:
            return Outcome(error=f"TLS with {target.host_header} failed: {reason(error)}")
        except urllib3.exceptions.HTTPError as error:
            return Outcome(error=f"The connection to {target.host_header} failed: {reason(error)}")
    return judged(response, excerpt)


def judged(response, excerpt):
    code = response.status
    if 200 <= code < 300:
        return Outcome(response_code=code)
    if 300 <= code < 400:
        location = response.headers.get("Location", "(no Location)")
        return Outcome(
            response_code=code,
            error=f"Answered {code} redirecting to {location}: redirects are not followed.",
        )
    if code == 410:
        return Outcome(
            response_code=code,
            error="Answered 410 Gone: the endpoint was switched off.",
            retry=False,
            gone=True,
        )
    text = " ".join(excerpt.decode("utf-8", "replace").split())
    return Outcome(response_code=code, error=f"Answered {code}" + (f": {text}" if text else "."))


def reason(error):
    """The last, most specific part of urllib3's error message."""
    return str(error).rsplit(": ", 1)[-1]


def queue(delivery_ids):
    """Queue an attempt at each delivery once the transaction commits: the worker sends them."""
    ids = list(delivery_ids)
    transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in ids])


def requeue_stranded(now=None, grace=timedelta(minutes=5)):
    """Queue an attempt at each delivery overdue by more than ``grace`` with no task waiting for it
    (``WebhookDelivery.objects.stranded``); returns their ids. Safe beside a busy worker: a second
    task for a delivery sends nothing twice (``WebhookDelivery.claim``)."""
    now = now or timezone.now()
    waiting = {
        arguments["args"][0]
        for arguments in DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=deliver.module_path
        ).values_list("args_kwargs", flat=True)
    }
    ids = [
        pk
        for pk in WebhookDelivery.objects.stranded(now, grace).values_list("pk", flat=True)
        if pk not in waiting
    ]
    for pk in ids:
        deliver.enqueue(pk)
    return ids
