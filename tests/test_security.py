"""Hardening: deploy checks, security headers, sign-in throttling, two-factor sign-in, bounded requests."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Status

PROJECT = Path(__file__).resolve().parent.parent
LOGIN = "/admin/login/"


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="news.example",
        DJANGO_HTTPS="1",
        DJANGO_BEHIND_PROXY="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_public_pages_carry_security_headers(client, make_article):
    article = make_article("Envoy lands in Beijing")
    response = client.get(article.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_unknown_query_parameters_never_reach_a_queryset(client, make_article):
    make_article("Public story")
    make_article("Draft story", status=Status.DRAFT, published_at=None)
    response = client.get("/articles/?status=draft&published_at__gt=2000-01-01&pk__in=1,2&order_by=-id")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Public story" in page and "Draft story" not in page


def test_an_oversized_request_body_is_refused(client, db):
    response = client.post(
        LOGIN, data=b"x=" + b"a" * (3 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def login(client, username, password, code=""):
    return client.post(
        LOGIN, {"username": username, "password": password, "otp_token": code, "next": "/admin/"}
    )


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, editor):
    from tests.conftest import PASSWORD

    for _ in range(4):
        assert login(client, "ed", "wrong password").status_code == 200
    assert login(client, "ed", "wrong password").status_code == 429  # the fifth locks it
    locked = login(client, "ed", PASSWORD)  # even the right password, now
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in


def test_a_right_password_resets_the_count(client, editor):
    from tests.conftest import PASSWORD

    for _ in range(4):
        login(client, "ed", "wrong password")
    assert login(client, "ed", PASSWORD)["Location"] == "/admin/"


@pytest.fixture
def authenticator(editor):
    return TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)


def test_an_account_with_an_authenticator_needs_its_code(client, editor, authenticator, time_machine):
    from django.utils import timezone

    from tests.conftest import PASSWORD

    time_machine.move_to(timezone.now(), tick=True)
    page = login(client, "ed", PASSWORD).content.decode()
    assert "Enter the six-digit code from your authenticator app." in page
    page = login(
        client, "ed", PASSWORD, "000000" if totp(authenticator.bin_key) != 0 else "111111"
    ).content.decode()
    assert "That code is wrong or has expired." in page
    time_machine.shift(5)  # django-otp waits a moment after a wrong code before trying again
    response = login(client, "ed", PASSWORD, f"{totp(authenticator.bin_key):06d}")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_required_two_factor_sends_staff_without_an_authenticator_to_enrol(
    client, editor, reporter, settings
):
    from tests.conftest import PASSWORD

    settings.NEWSROOM_REQUIRE_2FA = True
    for username in ("ed", "rita"):  # reporters too (tests/test_two_factor.py has the enrolment)
        client.logout()
        assert login(client, username, PASSWORD)["Location"] == "/admin/"
        assert client.get("/admin/")["Location"] == "/admin/two-factor/"


def test_required_two_factor_sends_an_unverified_editor_session_back_to_sign_in(
    client, editor, authenticator, settings
):
    settings.NEWSROOM_REQUIRE_2FA = True
    client.force_login(editor)  # a session without a verified code
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
