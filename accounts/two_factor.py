"""Self-enrolment in two-factor sign-in: an authenticator app (TOTP) confirmed with its first code,
and single-use recovery codes (django-otp's static device) that sign in in place of a code.

Who may enrol (``may_enrol``): someone who has only the password can sign in, unverified, and enrol
an authenticator of their own on an account that has none; self-enrolment cannot tell them from the
owner. That is accepted only while the account has no confirmed device. Once it has one, every
session gives a valid code or recovery code before anything, the enrolment page included, so the
password alone can never replace or read an authenticator. The secret being set up is kept per
session, not per account: another session signed in with the same password never sees the secret
the owner is scanning, and confirming one session's device deletes every other pending one.
"""

from base64 import b32encode

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.admin_site import device_for_code, must_have_second_factor

RECOVERY_CODES = 10
PENDING = "accounts_pending_authenticator"  # session key: the id of this session's unconfirmed device


def may_enrol(user):
    """Whether the user may open the enrolment page in this session (see the module's docstring)."""
    return user.is_active and user.is_staff and (user.is_verified() or not user_has_device(user))


def must_enrol(user):
    """A signed-in session that must use two-factor sign-in and has no device to do it with."""
    return must_have_second_factor(user) and not user.is_verified() and not user_has_device(user)


def has_authenticator(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def pending_authenticator(request):
    """This session's unconfirmed authenticator, made on first use."""
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(PENDING)
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
        request.session[PENDING] = device.pk
    return device


def cancel_enrolment(request):
    pending = request.session.pop(PENDING, None)
    TOTPDevice.objects.filter(user=request.user, confirmed=False, pk=pending).delete()


def confirm_authenticator(request, code):
    """Confirm this session's pending authenticator when ``code`` is its current code. It replaces the
    account's other authenticators and verifies the session. Returns whether it was confirmed."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=request.user, confirmed=False, pk=request.session.get(PENDING))
            .first()
        )
        if device is None or not device.verify_token(code):
            return False
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    del request.session[PENDING]
    otp_login(request, device)
    return True


def code_is_valid(user, code):
    """Whether ``code`` is the account's current authenticator code or one of its recovery codes
    (which it then uses up)."""
    device = device_for_code(user, code)
    return device is not None and verify_token(user, device.persistent_id, code) is not None


def qr_code_svg(device):
    """The authenticator's setup link as an inline SVG QR code, made here: the secret never leaves
    the server for a QR service. Black on white, so it scans in the admin's dark theme too."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, title="QR code to scan with your authenticator app", light="#fff")


def secret_text(device):
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes(user):
    """Replace the account's recovery codes with RECOVERY_CODES new ones and return them. The
    device is kept, not remade: a session verified with a recovery code stays verified."""
    device = StaticDevice.objects.filter(user=user).first() or StaticDevice.objects.create(
        user=user, name="Recovery codes"
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def turn_off(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
