"""The story form's explicit publishing actions: which a user is offered, the one line that says what
each will do, and what each sets. The form (articles/forms.py) applies them; the workflow rules
(Article.check_change_allowed, articles.publishing) still judge the result, so a forged action is
refused like any other forged change."""

from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from articles.models import State, Status, can_publish
from articles.models.workflow import desk_time, embargo_refusal, time_left


class Action(models.TextChoices):
    DRAFT = "draft", "Save draft"
    REVIEW = "review", "Send to review"
    PUBLISH = "publish", "Publish now"
    AT_EMBARGO = "at_embargo", "Publish at embargo"
    SCHEDULE = "schedule", "Schedule…"
    UNPUBLISH = "unpublish", "Unpublish"


EDITORS_ACTIONS = frozenset({Action.PUBLISH, Action.AT_EMBARGO, Action.SCHEDULE, Action.UNPUBLISH})


@dataclass(frozen=True)
class Offer:
    action: str
    label: str
    # The one line shown before it goes ahead; "" for the schedule, worked out once a time is chosen.
    confirm: str


def state_line(article, now=None):
    """The story's state in words, for the head of its form: Draft, In review, Scheduled for …,
    Live since …, followed by an embargo still ahead: "Draft · Embargoed until Tue 9 Dec 08:00 UTC
    (3 h 20 min)"."""
    if article is None or article.pk is None:
        return "New story, not saved yet"
    now = now or timezone.now()
    state = article.state_at(now)
    if state == State.SCHEDULED:
        line = f"Scheduled for {desk_time(article.published_at)}"
    elif state == State.PUBLISHED:
        line = f"Live since {desk_time(article.published_at)}"
    else:
        line = state.label
    embargo = article.embargoed_until
    if embargo is not None and embargo > now:
        line += f" · Embargoed until {desk_time(embargo)} ({time_left(embargo, now)})"
    return line


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
    embargo = article.embargoed_until if article is not None else None
    if state != State.PUBLISHED and embargo is not None and embargo > now:
        # Not "Publish now": the soonest it may go out is the embargo, one click away.
        if not (state == State.SCHEDULED and article.published_at == embargo):
            when = desk_time(embargo)
            found.append(
                Offer(Action.AT_EMBARGO, f"Publish at embargo ({when})", f"Goes live by itself at {when}.")
            )
    elif state != State.PUBLISHED:
        found.append(Offer(Action.PUBLISH, "Publish now", f"Goes live now, {desk_time(now)}."))
    if state != State.PUBLISHED:
        label = "Reschedule…" if state == State.SCHEDULED else "Schedule…"
        found.append(Offer(Action.SCHEDULE, label, ""))
    if state in (State.SCHEDULED, State.PUBLISHED):
        what = "Comes off the site now" if state == State.PUBLISHED else "Will not go live"
        found.append(Offer(Action.UNPUBLISH, "Unpublish", f"{what}, and goes back to draft."))
    return found


def schedule_line(moment):
    return f"Goes live {desk_time(moment)}."


def apply(action, values, *, schedule_at=None, now=None):
    """Set the status and publication time ``action`` asks for in ``values`` (the form's cleaned data,
    with the embargo as the form holds it). Returns an error message for a schedule without a time
    in the future, or before the embargo, and for publishing now under an embargo; else None."""
    now = now or timezone.now()
    embargo = values.get("embargoed_until")
    if action in (Action.DRAFT, Action.REVIEW):
        if values.get("status") == Status.PUBLISHED:
            values["published_at"] = None  # off the site; a draft's imported time is left alone
        values["status"] = Status.DRAFT if action == Action.DRAFT else Status.REVIEW
    elif action == Action.PUBLISH:
        if embargo is not None and embargo > now:
            return embargo_refusal(embargo)
        values.update(status=Status.PUBLISHED, published_at=now)
    elif action == Action.AT_EMBARGO:
        if embargo is None:
            return "This story has no embargo; use “Publish now” or “Schedule…”."
        values.update(status=Status.PUBLISHED, published_at=max(embargo, now))
    elif action == Action.SCHEDULE:
        if schedule_at is None or schedule_at <= now:
            return "Choose a date and time in the future to schedule; to publish now, use “Publish now”."
        if embargo is not None and schedule_at < embargo:
            return embargo_refusal(embargo)
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
