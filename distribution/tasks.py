"""Background tasks, and trying a failed one again later.

django-tasks runs a task once: what fails stays failed. ``retried`` makes a task that, when it
raises, queues itself again ``NEWSROOM_TASK_RETRY_DELAY`` seconds later, twice as long after each
failure, until ``NEWSROOM_TASK_ATTEMPTS`` attempts have been made. Each attempt is its own task
result, so every failure keeps its error and traceback in the admin (Task results), and the attempt
number is in its arguments and in its error's text.
"""

import functools
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task


class AttemptFailed(Exception):
    """An attempt failed: says which, what went wrong, and when the next one is due (if any)."""


def backoff(attempt):
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …): doubling each time."""
    return settings.NEWSROOM_TASK_RETRY_DELAY * 2 ** (attempt - 1)


def retried(function):
    """Make ``function`` a task tried again with growing delays when it raises.

    Enqueue it as any task (``ping_hub.enqueue(urls)``); the attempt number travels as the
    ``attempt`` keyword argument, which ``function`` does not see.
    """

    @functools.wraps(function)
    def attempt_once(*args, attempt=1, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            attempts = settings.NEWSROOM_TASK_ATTEMPTS
            if attempt >= attempts:
                raise AttemptFailed(f"attempt {attempt} of {attempts} failed, giving up: {error}") from error
            delay = backoff(attempt)
            retry.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                *args, attempt=attempt + 1, **kwargs
            )
            raise AttemptFailed(
                f"attempt {attempt} of {attempts} failed, trying again in {delay:g} s: {error}"
            ) from error

    retry = task(attempt_once)
    return retry
