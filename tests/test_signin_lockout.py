"""Sign-in throttling: five failures lock an account from anywhere; a noisy address is throttled.

The client address is REMOTE_ADDR unless DJANGO_BEHIND_PROXY=1 says a proxy stands in front, and
then the address that proxy appended to X-Forwarded-For (a client can prepend anything it likes).
"""

import pytest

from tests.conftest import PASSWORD

LOGIN = "/admin/login/"
PROXY = "10.0.0.1"


def login(client, username, password, address="192.0.2.1", forwarded=None):
    meta = {"REMOTE_ADDR": address}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **meta)


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_five_failures_from_five_addresses_lock_the_account(client, editor):
    for n in range(4):
        assert login(client, "ed", "wrong", address=f"192.0.2.{n + 10}").status_code == 200
    fifth = login(client, "ed", "wrong", address="192.0.2.20")
    assert fifth.status_code == 429
    assert "Too many failed sign-in attempts" in fifth.content.decode()


def test_right_password_from_another_address_is_refused_during_a_lockout(client, editor):
    for _ in range(5):
        login(client, "ed", "wrong", address="192.0.2.66")
    elsewhere = login(client, "ed", PASSWORD, address="198.51.100.7")
    assert elsewhere.status_code == 429
    assert client.get("/admin/").status_code == 302  # not signed in


def test_one_noisy_address_is_throttled_across_accounts(client, editor, make_user):
    """Guesses spread over many accounts, never five at one, still stop at the address."""
    for n in range(20):
        login(client, f"someone{n}", "wrong", address="203.0.113.9")
    throttled = login(client, "ed", PASSWORD, address="203.0.113.9")
    assert throttled.status_code == 429
    assert "address" in throttled.content.decode()
    # The accounts it guessed at are not locked for everyone else.
    assert signed_in(login(client, "ed", PASSWORD, address="198.51.100.7"))


def test_forwarded_for_is_ignored_without_a_proxy(client, editor, settings):
    settings.NEWSROOM_BEHIND_PROXY = False
    for n in range(20):
        login(client, f"someone{n}", "wrong", address="203.0.113.9", forwarded=f"198.51.100.{n}")
    # Every guess counted against the address that sent it, whatever it claimed to forward.
    assert login(client, "ed", PASSWORD, address="203.0.113.9", forwarded="198.51.100.99").status_code == 429


def test_behind_a_proxy_one_noisy_reader_does_not_lock_out_editors(client, editor, settings):
    settings.NEWSROOM_BEHIND_PROXY = True
    for n in range(25):
        # A client may put anything first; the proxy appends the address it saw.
        login(client, f"someone{n}", "wrong", address=PROXY, forwarded=f"1.2.3.{n}, 203.0.113.9")
    noisy = login(client, "ed", PASSWORD, address=PROXY, forwarded="203.0.113.9")
    assert noisy.status_code == 429
    assert signed_in(login(client, "ed", PASSWORD, address=PROXY, forwarded="198.51.100.7"))


@pytest.mark.parametrize("behind_proxy, expected", [(False, "10.0.0.1"), (True, "203.0.113.9")])
def test_the_client_address_is_read_as_configured(rf, settings, behind_proxy, expected):
    from articles.client_address import client_address

    settings.NEWSROOM_BEHIND_PROXY = behind_proxy
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_address(request) == expected


@pytest.mark.parametrize(
    "appended, expected",
    [
        ("203.0.113.9:4711", "203.0.113.9"),  # some load balancers append the client's port
        ("[2001:db8::9]:443", "2001:db8::9"),
        ("2001:DB8::9", "2001:db8::9"),  # one address, one spelling, one count
        ("unknown", PROXY),  # no address to go by: the connection's is the truth
        ("", PROXY),
    ],
)
def test_the_proxys_entry_is_read_as_an_address(rf, settings, appended, expected):
    from articles.client_address import client_address

    settings.NEWSROOM_BEHIND_PROXY = True
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {appended}")
    assert client_address(request) == expected


@pytest.mark.parametrize("forwarded", ["not-an-address", "203.0.113.9:4711", "[2001:db8::9]:443"])
def test_an_odd_forwarded_entry_never_breaks_the_sign_in(client, editor, settings, forwarded):
    """A proxy that writes a port, or a client reaching the app past the proxy with a made-up
    header, gets the sign-in form back, not a server error (PostgreSQL stores addresses as inet)."""
    settings.NEWSROOM_BEHIND_PROXY = True
    assert login(client, "ed", "wrong", address=PROXY, forwarded=forwarded).status_code == 200
    assert signed_in(login(client, "ed", PASSWORD, address=PROXY, forwarded=forwarded))
