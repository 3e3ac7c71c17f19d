"""The readers' newsletter pages: sign up, confirm, unsubscribe (or be forgotten).

Every page is the reader's own (a form, a signed link): never cached, never indexed. The unsubscribe
address takes the one-click POST mail programs send (RFC 8058) without a CSRF token: the signed link
is the authority, and it can only ever remove.
"""

from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from distribution import lists
from distribution.sending import send_confirmation
from distribution.subscribing import (
    EVERY_LIST,
    MAX_LISTS,
    Confirmation,
    SubscriptionError,
    check_confirmation,
    confirm,
    forget,
    read_unsubscribe_token,
    sign_up,
    unsubscribe,
)

# Topics offered on the sign-up page besides one named in its address (?list=topic:<slug>).
OFFERED_TOPICS = 12


def _choices(chosen):
    """The lists the sign-up form offers: the standing ones, the most-used topics, and any list the
    address or the form named."""
    offered = lists.offered()
    top_tags = lists.public_topics().annotate(uses=Count("tagged_articles")).order_by("-uses", "name")
    top_tags = top_tags[:OFFERED_TOPICS]
    topics = sorted({lists.topic_list(tag) for tag in top_tags}, key=lambda t: t.title.lower())
    known = {item.key for item in offered + topics}
    # Topics the address or the form named beyond those, all in one query (at most MAX_LISTS of them).
    named = [
        key.removeprefix(lists.TOPIC_PREFIX)
        for key in chosen[:MAX_LISTS]
        if key.startswith(lists.TOPIC_PREFIX) and key not in known and "\x00" not in key
    ]
    extra = [lists.topic_list(tag) for tag in lists.public_topics().filter(slug__in=named)] if named else []
    return offered, sorted(topics + extra, key=lambda t: t.title)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.method == "POST":
        address = request.POST.get("email", "")
        chosen = request.POST.getlist("list")
        try:
            with transaction.atomic():
                done = sign_up(address, chosen)
                if done.email_due:
                    pk, keys = done.subscriber.pk, done.list_keys
                    transaction.on_commit(lambda: send_confirmation.enqueue(pk, keys))
        except SubscriptionError as error:
            return _signup_page(
                request, chosen, address=address, error=str(error), field=error.field, status=400
            )
        return redirect("distribution:check-inbox")
    preselected = [key for key in request.GET.getlist("list") if lists.lookup(key)] or [lists.BRIEFING]
    return _signup_page(request, preselected)


def _signup_page(request, chosen, *, address="", error="", field="", status=200):
    standing, topics = _choices(chosen)
    context = {
        "standing": standing,
        "topics": topics,
        "chosen": set(chosen),
        "address": address,
        "error": error,
        "error_field": field,
    }
    return render(request, "distribution/signup.html", context, status=status)


def message_page(request, title, message, *, status=200, signup=False):
    """A page that tells the reader what happened, with a way back to the sign-up form if it helps."""
    context = {"title": title, "message": message, "signup": signup}
    return render(request, "distribution/message.html", context, status=status)


@never_cache
def check_inbox(request):
    return message_page(
        request,
        "Check your inbox",
        "We have sent you an email with a link. Open it to confirm, and your newsletters will start. "
        "If nothing arrives in a few minutes, look in your spam folder.",
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirmation(request, token):
    if request.method == "POST":
        outcome, keys = confirm(token)
        if outcome == Confirmation.CONFIRMED:
            return message_page(
                request,
                "You are subscribed",
                "Confirmed: " + ", ".join(lists.titles(keys)) + "."
                if keys
                else "Your newsletters were confirmed already.",
            )
    else:
        outcome, subscriber = check_confirmation(token)
        if outcome == Confirmation.CONFIRMED:
            pending = list(
                subscriber.subscriptions.filter(confirmed_at__isnull=True).values_list("list_key", flat=True)
            )
            if not pending:
                # Signed up again for lists already confirmed: nothing to ask, so no empty "You asked for".
                confirmed = subscriber.subscriptions.confirmed().values_list("list_key", flat=True)
                return message_page(
                    request,
                    "You are subscribed",
                    "Your newsletters were confirmed already: " + ", ".join(lists.titles(confirmed)) + ".",
                )
            return render(request, "distribution/confirm.html", {"titles": lists.titles(pending)})
    return _confirmation_problem(request, outcome)


def _confirmation_problem(request, outcome):
    if outcome == Confirmation.USED:
        return message_page(
            request,
            "This link has been used",
            "This confirmation link has been used already, or a newer one was sent since. "
            "If you are not getting your newsletters, sign up again.",
            status=400,
            signup=True,
        )
    if outcome == Confirmation.EXPIRED:
        return message_page(
            request,
            "This link has expired",
            "Confirmation links work for a few days, and this one is older. Sign up again for a new one.",
            status=400,
            signup=True,
        )
    return message_page(
        request,
        "This link does not work",
        "This is not a confirmation link of ours: it may have been cut short when it was copied. "
        "Sign up again for a new one.",
        status=400,
        signup=True,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request, token):
    try:
        subscriber, list_key = read_unsubscribe_token(token)
    except SubscriptionError as error:
        return message_page(request, "This link does not work", str(error), status=400, signup=True)
    if subscriber is None:
        return message_page(
            request,
            "You are not subscribed",
            "This address gets nothing from us any more: there is nothing to unsubscribe from.",
        )
    if request.method == "POST":
        if request.POST.get("forget") == "1":
            forget(subscriber)
            return message_page(
                request,
                "Your address is deleted",
                "We have deleted your address, your subscriptions and the record of what we sent you.",
            )
        everything = request.POST.get("everything") == "1"
        left = unsubscribe(subscriber, EVERY_LIST if everything else list_key)
        return message_page(
            request,
            "You are unsubscribed",
            ("You will get no more: " + ", ".join(lists.titles(left)) + ".")
            if left
            else "You were not subscribed to that any more.",
            signup=True,
        )
    current = list(subscriber.subscriptions.values_list("list_key", flat=True))
    if not current:
        return message_page(
            request,
            "You are not subscribed",
            "This address is on none of our newsletters any more: there is nothing to unsubscribe from.",
            signup=True,
        )
    named = None if list_key == EVERY_LIST else lists.lookup_title(list_key)
    # A second visit, after leaving the list, says so instead of offering to unsubscribe again.
    on_it = list_key in current
    context = {
        "this_list": named if on_it else None,
        "left_list": None if on_it else named,
        "others": [
            title for key, title in zip(current, lists.titles(current), strict=True) if key != list_key
        ],
    }
    return render(request, "distribution/unsubscribe.html", context)
