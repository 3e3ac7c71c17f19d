"""Who is asking: the client's address, as far as this deployment can know it.

Without a proxy the address is the connection's (REMOTE_ADDR), and X-Forwarded-For is the client's
own claim, ignored. With DJANGO_BEHIND_PROXY=1 every connection comes from the proxy, so the
client is the address the proxy appended, the last X-Forwarded-For entry; entries before it are
whatever the client sent and prove nothing.
"""

import ipaddress

from django.conf import settings


def client_address(request):
    """The client's IP address for throttling sign-ins (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    if settings.NEWSROOM_BEHIND_PROXY:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1]
        address = _address_in(appended.strip())
        if address:
            return address
    return request.META.get("REMOTE_ADDR")


def _address_in(entry):
    """The address in one X-Forwarded-For entry, in one spelling, or None when it holds none.

    Some load balancers append the client's port too ("203.0.113.9:4711", "[2001:db8::9]:443").
    Anything that is no address (a misconfigured proxy, a client reaching the app past it) is
    ignored rather than stored: PostgreSQL keeps axes' addresses as inet and would refuse it.
    """
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None
