"""Two-factor sign-in: staff enrol an authenticator app themselves at /admin/two-factor/, confirm it
with a first code, and get recovery codes; NEWSROOM_REQUIRE_2FA makes every staff account enrol."""

import re
from base64 import b32encode

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import new_recovery_codes
from tests.conftest import PASSWORD, totp_code

LOGIN = "/admin/login/"
PAGE = "/admin/two-factor/"


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The clock stands still; a test moves it on past a code's 30-second step when it must."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def sign_in(client, username, code=""):
    return client.post(
        LOGIN, {"username": username, "password": PASSWORD, "otp_token": code, "next": "/admin/"}
    )


def pending_device(user):
    return TOTPDevice.objects.get(user=user, confirmed=False)


def secret_of(device):
    return b32encode(device.bin_key).decode()


def confirmed_devices(user):
    return list(TOTPDevice.objects.filter(user=user, confirmed=True))


def test_staff_enrol_from_a_qr_code_made_here_and_confirm_with_the_first_code(client, editor, clock):
    assert sign_in(client, "ed")["Location"] == "/admin/"
    assert f'href="{PAGE}"' in client.get("/admin/").content.decode()  # in the user tools

    page = client.get(PAGE).content.decode()
    assert "<title>Two-factor sign-in | Newsroom admin</title>" in page
    assert re.search(r"<svg [^>]*>\s*<title>QR code to scan with your authenticator app</title>", page)
    assert "<img" not in page and "https://" not in page  # nothing fetched from elsewhere
    device = pending_device(editor)
    assert " ".join(re.findall(".{4}", secret_of(device))) in page
    assert '<label for="id_code">Code from the app:</label>' in page

    wrong = "000000" if totp_code(device) != "000000" else "111111"
    page = client.post(PAGE, {"code": wrong}).content.decode()
    assert "That code is wrong or has expired." in page
    assert confirmed_devices(editor) == []

    clock.shift(5)  # django-otp waits a moment after a wrong code
    page = client.post(PAGE, {"code": totp_code(device)}).content.decode()
    assert confirmed_devices(editor) == [device]
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)
    )
    assert "Continue to the admin" in page

    # Shown once: the page now manages the authenticator and shows no codes.
    page = client.get(PAGE).content.decode()
    assert "You have 10 unused recovery codes." in page and codes[0] not in page

    client.logout()
    clock.shift(30)
    assert "Enter the six-digit code" in sign_in(client, "ed").content.decode()
    assert sign_in(client, "ed", totp_code(device))["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_signs_in_once(client, editor, make_authenticator):
    make_authenticator(editor)
    code = new_recovery_codes(editor)[3]

    assert sign_in(client, "ed", code.upper())["Location"] == "/admin/"  # typed in either case
    assert client.get("/admin/").status_code == 200
    client.logout()

    page = sign_in(client, "ed", code).content.decode()
    assert "That code is wrong or has expired." in page
    assert client.get("/admin/").status_code == 302
    assert StaticToken.objects.filter(device__user=editor).count() == 9


def test_required_two_factor_makes_a_reporter_enrol_before_any_admin_page(client, reporter, settings):
    settings.NEWSROOM_REQUIRE_2FA = True
    assert sign_in(client, "rita")["Location"] == "/admin/"

    for url in ["/admin/", "/admin/articles/article/", "/admin/password_change/", "/admin/login/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == PAGE, url
    response = client.post("/admin/articles/article/add/", {"headline": "Sneaked in"})
    assert response.status_code == 302 and response["Location"] == PAGE

    page = client.get(PAGE).content.decode()
    assert "Your account must sign in with a code from an authenticator app." in page
    assert "<svg" in page and 'action="/admin/two-factor/sign-out/"' in page
    client.post(PAGE, {"code": totp_code(pending_device(reporter))})
    assert client.get("/admin/articles/article/").status_code == 200


def test_an_enrolling_session_can_sign_out(client, reporter, settings):
    settings.NEWSROOM_REQUIRE_2FA = True
    sign_in(client, "rita")
    assert client.post("/admin/two-factor/sign-out/")["Location"] == LOGIN
    assert client.get(PAGE)["Location"].startswith(LOGIN)


def test_an_account_with_an_authenticator_cannot_reach_enrolment_with_only_the_password(
    client, editor, make_authenticator, settings
):
    settings.NEWSROOM_REQUIRE_2FA = True
    device = make_authenticator(editor)
    assert "Enter the six-digit code" in sign_in(client, "ed").content.decode()

    client.force_login(editor)  # signed in with the password alone
    for response in [
        client.get(PAGE),
        client.post(PAGE, {"code": "123456", "action": "replace"}),
        client.get("/admin/"),
    ]:
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert list(TOTPDevice.objects.filter(user=editor)) == [device]


def test_a_forged_post_cannot_confirm_someone_elses_authenticator(client, editor, reporter):
    rita = type(client)()
    sign_in(rita, "rita")
    rita.get(PAGE)
    ritas = pending_device(reporter)

    sign_in(client, "ed")
    client.post(PAGE, {"code": totp_code(ritas), "device": ritas.pk, "otp_device": ritas.persistent_id})
    ritas.refresh_from_db()
    assert not ritas.confirmed and ritas.user == reporter
    assert confirmed_devices(editor) == []

    csrf_checked = type(client)(enforce_csrf_checks=True)
    csrf_checked.force_login(reporter)
    assert csrf_checked.post(PAGE, {"code": totp_code(ritas)}).status_code == 403


def test_the_secret_being_set_up_belongs_to_one_session(client, editor):
    other = type(client)()  # someone else with the password
    for session in (client, other):
        sign_in(session, "ed")
    mine = re.search(r'<code id="secret">([^<]+)</code>', client.get(PAGE).content.decode())[1]
    theirs = re.search(r'<code id="secret">([^<]+)</code>', other.get(PAGE).content.decode())[1]
    assert mine != theirs

    [device] = [d for d in TOTPDevice.objects.filter(user=editor) if secret_of(d) == mine.replace(" ", "")]
    client.post(PAGE, {"code": totp_code(device)})
    assert list(TOTPDevice.objects.filter(user=editor)) == [device]  # the other session's is gone


def test_new_recovery_codes_need_a_current_code_and_retire_the_old_ones(
    client, editor, make_authenticator, clock
):
    device = make_authenticator(editor)
    old = new_recovery_codes(editor)
    sign_in(client, "ed", totp_code(device))

    wrong = "000000" if totp_code(device) != "000000" else "111111"
    page = client.post(PAGE, {"code": wrong, "action": "recovery-codes"}).content.decode()
    assert "That code is wrong or has expired." in page
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(old)

    clock.shift(30)
    page = client.post(PAGE, {"code": totp_code(device), "action": "recovery-codes"}).content.decode()
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new)
    assert client.get("/admin/").status_code == 200


def test_replacing_the_authenticator_keeps_the_old_one_until_the_new_one_is_confirmed(
    client, editor, make_authenticator, clock
):
    old = make_authenticator(editor)
    codes = new_recovery_codes(editor)
    sign_in(client, "ed", codes[0])

    client.post(PAGE, {"code": codes[1], "action": "replace"})
    new = pending_device(editor)
    assert "<svg" in client.get(PAGE).content.decode()
    assert confirmed_devices(editor) == [old]

    client.post(PAGE, {"code": totp_code(new)})
    assert confirmed_devices(editor) == [new]
    assert client.get("/admin/").status_code == 200  # the session now rests on the new device
    assert StaticToken.objects.filter(device__user=editor).count() == 8  # the codes are kept


def test_turning_off_two_factor_is_refused_while_it_is_required(
    client, editor, make_authenticator, settings, clock
):
    device = make_authenticator(editor)
    sign_in(client, "ed", totp_code(device))
    clock.shift(30)
    settings.NEWSROOM_REQUIRE_2FA = True
    assert "Turn off" not in client.get(PAGE).content.decode()
    client.post(PAGE, {"code": totp_code(device), "action": "turn-off"})
    assert confirmed_devices(editor) == [device]

    settings.NEWSROOM_REQUIRE_2FA = False
    clock.shift(30)
    assert client.post(PAGE, {"code": totp_code(device), "action": "turn-off"})["Location"] == "/admin/"
    assert confirmed_devices(editor) == []
