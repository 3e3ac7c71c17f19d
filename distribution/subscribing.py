"""Signing up, confirming, unsubscribing and forgetting: the rules of a reader's subscriptions.

Double opt-in: a sign-up makes the subscriptions pending and mails a signed confirmation link; only
a confirmed subscription receives anything. A link is good for NEWSROOM_CONFIRMATION_DAYS and once:
each new link replaces the last (its nonce), and using one spends it. Unsubscribe links are signed
too and never expire: a reader must always be able to leave, from any email they were sent.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from disposable_email_domains import blocklist
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from distribution import lists
from distribution.models import Subscriber, Subscription

CONFIRM_SALT = "distribution.confirm"
UNSUBSCRIBE_SALT = "distribution.unsubscribe"
# A reader who signs up again within this time gets no second email: nobody can use the form
# to flood an address.
RESEND_AFTER = timedelta(minutes=2)
EVERY_LIST = "*"
# More than the form ever offers: a request naming hundreds of lists is refused before each is looked up.
MAX_LISTS = 60
ADDRESS_LENGTH = Subscriber._meta.get_field("email").max_length


class SubscriptionError(Exception):
    """Something the reader can put right; the message says what, and ``field`` where: "email" or
    "list" on the sign-up form, so the form marks that field and not another."""

    def __init__(self, message, *, field="email"):
        super().__init__(message)
        self.field = field


def clean_address(raw):
    """``raw`` as the address it is (trimmed, lower case), or SubscriptionError saying what is wrong."""
    address = (raw or "").strip().lower()
    if not address:
        raise SubscriptionError("Enter your email address.")
    # RFC 5321 caps a deliverable address at 254 characters, and so does Subscriber.email: a longer
    # one passed validate_email and then failed on PostgreSQL's varchar(254) with a 500.
    if len(address) > ADDRESS_LENGTH:
        raise SubscriptionError(
            f"That address is longer than {ADDRESS_LENGTH} characters, too long for email to reach it."
        )
    try:
        validate_email(address)
    except ValidationError:
        raise SubscriptionError(f"“{raw.strip()[:100]}” is not an email address we can send to.") from None
    domain = address.rsplit("@", 1)[1]
    parts = domain.split(".")
    if any(".".join(parts[i:]) in blocklist for i in range(len(parts) - 1)):
        raise SubscriptionError(
            f"Addresses at {domain} are disposable and stop working, so we cannot send there. "
            "Use an address you keep."
        )
    return address


@dataclass
class SignUp:
    subscriber: Subscriber
    list_keys: list
    email_due: bool = field(default=True)


def sign_up(raw_address, list_keys):
    """Record a sign-up for ``list_keys`` and say whether a confirmation email is due (it is not when
    one went to the address moments ago). Raises SubscriptionError for a bad address or list."""
    address = clean_address(raw_address)
    keys = list(dict.fromkeys(list_keys))
    if not keys:
        raise SubscriptionError("Choose at least one newsletter.", field="list")
    if len(keys) > MAX_LISTS:
        raise SubscriptionError(f"Choose at most {MAX_LISTS} newsletters at a time.", field="list")
    unknown = [key for key in keys if lists.lookup(key) is None]
    if unknown:
        raise SubscriptionError(f"There is no newsletter called “{unknown[0][:100]}”.", field="list")
    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=address)
        for key in keys:
            Subscription.objects.get_or_create(subscriber=subscriber, list_key=key)
        recent = subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_AFTER
        if recent:
            return SignUp(subscriber, keys, email_due=False)
        subscriber.confirmation_nonce = secrets.token_hex(8)
        subscriber.confirmation_sent_at = now
        subscriber.save(update_fields=["confirmation_nonce", "confirmation_sent_at"])
    return SignUp(subscriber, keys)


def confirmation_token(subscriber):
    return signing.dumps({"s": subscriber.pk, "n": subscriber.confirmation_nonce}, salt=CONFIRM_SALT)


class Confirmation:
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


def check_confirmation(token):
    """(outcome, subscriber or None): what a confirmation link would do, without doing it."""
    max_age = timedelta(days=settings.NEWSROOM_CONFIRMATION_DAYS)
    try:
        claim = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return Confirmation.EXPIRED, None
    except signing.BadSignature:
        return Confirmation.INVALID, None
    if not isinstance(claim, dict):
        return Confirmation.INVALID, None
    subscriber = Subscriber.objects.filter(pk=claim.get("s")).first()
    if subscriber is None:
        return Confirmation.INVALID, None
    if not subscriber.confirmation_nonce or subscriber.confirmation_nonce != claim.get("n"):
        return Confirmation.USED, subscriber
    return Confirmation.CONFIRMED, subscriber


def confirm(token):
    """Confirm the pending subscriptions a link was sent for; (outcome, list keys confirmed)."""
    with transaction.atomic():
        outcome, subscriber = check_confirmation(token)
        if outcome != Confirmation.CONFIRMED:
            return outcome, []
        # Spend the link: the conditional write lets only one of two simultaneous clicks through.
        spent = Subscriber.objects.filter(
            pk=subscriber.pk, confirmation_nonce=subscriber.confirmation_nonce
        ).update(confirmation_nonce="")
        if not spent:
            return Confirmation.USED, []
        pending = subscriber.subscriptions.filter(confirmed_at__isnull=True)
        keys = list(pending.values_list("list_key", flat=True))
        pending.update(confirmed_at=timezone.now())
    return Confirmation.CONFIRMED, keys


def unsubscribe_token(subscriber, list_key=EVERY_LIST):
    return signing.dumps({"s": subscriber.pk, "l": list_key}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token):
    """(subscriber or None, list key), or SubscriptionError for a link that was not ours."""
    try:
        claim = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise SubscriptionError(
            "This unsubscribe link is not one of ours: it may have been cut short."
        ) from None
    if not isinstance(claim, dict) or not isinstance(claim.get("l"), str):
        raise SubscriptionError("This unsubscribe link is not one of ours: it may have been cut short.")
    return Subscriber.objects.filter(pk=claim.get("s")).first(), claim["l"]


def unsubscribe(subscriber, list_key):
    """Leave one list (or every list, for EVERY_LIST); the list keys left. Idempotent."""
    subscriptions = subscriber.subscriptions.all()
    if list_key != EVERY_LIST:
        subscriptions = subscriptions.filter(list_key=list_key)
    keys = list(subscriptions.values_list("list_key", flat=True))
    subscriptions.delete()
    return keys


def forget(subscriber):
    """Delete the address and everything kept about it: its subscriptions and its send log."""
    subscriber.delete()
