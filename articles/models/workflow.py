"""The workflow's words and rules: a story's status, where it stands for readers (its state, the
visibility rule in Python and as a query condition), and who may publish.

Kept apart from the stories' model so the rule reads in one short module; ``articles.models``
re-exports all of it.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"


class State(models.TextChoices):
    """Where a story stands for readers: its status and, once published, its publication time."""

    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


def state_of(status, published_at, now):
    """The one visibility rule, in Python: a story is public (PUBLISHED) when its status is published
    and its publication time has come. ``ArticleQuerySet.in_state`` is the same rule in SQL; a
    truth-table test holds the two together. A published story always has a time (a constraint)."""
    if status == Status.PUBLISHED:
        return State.PUBLISHED if published_at <= now else State.SCHEDULED
    return State(status)


def state_condition(state, now):
    """``state_of`` as a query condition."""
    released = Q(status=Status.PUBLISHED)
    return {
        State.DRAFT: Q(status=Status.DRAFT),
        State.REVIEW: Q(status=Status.REVIEW),
        State.SCHEDULED: released & Q(published_at__gt=now),
        State.PUBLISHED: released & Q(published_at__lte=now),
    }[state]


PUBLISH_PERMISSION = "articles.publish_article"


def can_publish(user):
    """Editors may publish, schedule and unpublish; reporters may not."""
    return user.has_perm(PUBLISH_PERMISSION)


class WorkflowError(PermissionDenied):
    """A change the user's role does not allow; the message says why, for the user to read."""


def desk_time(moment):
    """A time as the desk reads it, in NEWSROOM_TIME_ZONE with its name: "Tue 9 Dec 08:00 EST" (with
    the year when it is not this year's)."""
    local = timezone.localtime(moment)
    year = "" if local.year == timezone.localtime().year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M %Z}"


def time_left(moment, now):
    """How long until ``moment``, as the desk says it: "2 d 3 h", "3 h 20 min", "45 min", "under a
    minute". Whole units, rounded down, so it never promises more time than there is."""
    minutes = max(0, int((moment - now).total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def embargo_refusal(embargoed_until):
    """What the desk is told when a story would go out before its embargo."""
    return (
        f"Embargoed until {desk_time(embargoed_until)}: it can be scheduled for then or later, "
        "not published before."
    )
