"""The story form's explicit publishing actions: which a user is offered, the one line that says what
each will do, and what each sets. The form (articles/forms.py) applies them; the workflow rules
(Article.check_change_allowed, articles.publishing) still judge the result, so a forged action is
refused like any other forged change."""

from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from articles.models import State, Status, can_publish
from articles.models.workflow import desk_time


class Action(models.TextChoices):
    DRAFT = "draft", "Save draft"
    REVIEW = "review", "Send to review"
    PUBLISH = "publish", "Publish now"
    SCHEDULE = "schedule", "Schedule…"
    UNPUBLISH = "unpublish", "Unpublish"


EDITORS_ACTIONS = frozenset({Action.PUBLISH, Action.SCHEDULE, Action.UNPUBLISH})


@dataclass(frozen=True)
class Offer:
    action: str
    label: str
    # The one line shown before it goes ahead; "" for the schedule, worked out once a time is chosen.
    confirm: str


def state_line(article, now=None):
    """The story's state in words, for the head of its form: Draft, In review, Scheduled for …,
    Live since …"""
    if article is None or article.pk is None:
        return "New story, not saved yet"
    state = article.state_at(now or timezone.now())
    if state == State.SCHEDULED:
        return f"Scheduled for {desk_time(article.published_at)}"
    if state == State.PUBLISHED:
        return f"Live since {desk_time(article.published_at)}"
    return state.label


def offers(article, user, now=None):
    """The actions ``user`` may take on ``article`` (None or unsaved for a new story) from its form."""
    now = now or timezone.now()
    state = article.state_at(now) if article is not None and article.pk else State.DRAFT
    editor = can_publish(user)
    found = []
    if state in (State.DRAFT, State.REVIEW):
        if state == State.REVIEW:
            found.append(Offer(Action.DRAFT, "Back to draft", "Goes back to draft: out of the review queue."))
        else:
            found.append(Offer(Action.DRAFT, "Save draft", "Saved as a draft: not on the site."))
            found.append(
                Offer(Action.REVIEW, "Send to review", "Goes to the review queue for an editor to publish.")
            )
    if not editor:
        return found
    if state != State.PUBLISHED:
        found.append(Offer(Action.PUBLISH, "Publish now", f"Goes live now, {desk_time(now)}."))
        label = "Reschedule…" if state == State.SCHEDULED else "Schedule…"
        found.append(Offer(Action.SCHEDULE, label, ""))
    if state in (State.SCHEDULED, State.PUBLISHED):
        what = "Comes off the site now" if state == State.PUBLISHED else "Will not go live"
        found.append(Offer(Action.UNPUBLISH, "Unpublish", f"{what}, and goes back to draft."))
    return found


def schedule_line(moment):
    return f"Goes live {desk_time(moment)}."


def apply(action, values, *, schedule_at=None, now=None):
    """Set the status and publication time ``action`` asks for in ``values`` (the form's cleaned data).
    Returns an error message for a schedule without a time in the future, else None."""
    now = now or timezone.now()
    if action in (Action.DRAFT, Action.REVIEW):
        if values.get("status") == Status.PUBLISHED:
            values["published_at"] = None  # off the site; a draft's imported time is left alone
        values["status"] = Status.DRAFT if action == Action.DRAFT else Status.REVIEW
    elif action == Action.PUBLISH:
        values.update(status=Status.PUBLISHED, published_at=now)
    elif action == Action.SCHEDULE:
        if schedule_at is None or schedule_at <= now:
            return "Choose a date and time in the future to schedule; to publish now, use “Publish now”."
        values.update(status=Status.PUBLISHED, published_at=schedule_at)
    elif action == Action.UNPUBLISH:
        values.update(status=Status.DRAFT, published_at=None)
    return None


def outcome(article, now=None):
    """What the save did, for the message after it."""
    state = article.state_at(now or timezone.now())
    if state == State.SCHEDULED:
        return f"Scheduled: goes live {desk_time(article.published_at)}."
    if state == State.PUBLISHED:
        return f"Live since {desk_time(article.published_at)}."
    if state == State.REVIEW:
        return "In review: waiting for an editor."
    return "Saved as a draft: not on the site."
