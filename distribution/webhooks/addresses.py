"""Where a webhook may go: in production, only https addresses whose host resolves only to public
IP addresses, so an endpoint cannot make the server POST into its own network (SSRF).

Checked when an editor saves the endpoint, and again at every attempt; the attempt then connects to
the very address that was checked (distribution/webhooks/sending.py), so a name that resolves to a
public address for the check and a private one for the connection (DNS rebinding) gets nowhere.
NEWSROOM_WEBHOOKS_ALLOW_PRIVATE (development, tests) allows http and any address.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The URL may not be sent to; the message says why, for the editor."""


class HostNotFound(AddressRefused):
    """The host name did not resolve: perhaps for a moment only."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address``, present ``host`` (TLS name, Host header)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def is_public(address):
    """Whether ``address`` is on the public internet: not loopback, private, link-local, shared
    (CGNAT), reserved, multicast or unspecified, also when written as an IPv4-mapped IPv6 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local anyway
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url, resolve=socket.getaddrinfo):
    """The ``Target`` to send ``url`` to; raise ``AddressRefused`` naming what is wrong."""
    allow_private = settings.NEWSROOM_WEBHOOKS_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"“{url}” is not a valid URL: {error}.") from error
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise AddressRefused(
            f"Webhook URLs must start with https:// (not “{parts.scheme}://”): messages are private."
        )
    if not parts.hostname:
        raise AddressRefused(f"“{url}” names no host.")
    if parts.username or parts.password:
        raise AddressRefused("Put no user name or password in the URL: messages are signed with the secret.")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostNotFound(f"The host “{host}” could not be found: {error}.") from error
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused(f"The host “{host}” has no address.")
    if not allow_private:
        # Every address, not the first: the connection could otherwise land on any of them.
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise AddressRefused(
                f"The host “{host}” resolves to {refused[0]}, a private or reserved address: "
                "webhooks go only to public internet addresses."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])
