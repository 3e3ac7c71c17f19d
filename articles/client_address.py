"""Who is asking: the client's address, as far as this deployment can know it.

Without a proxy the address is the connection's (REMOTE_ADDR), and X-Forwarded-For is the client's
own claim, ignored. With DJANGO_BEHIND_PROXY=1 every connection comes from the proxy, so the
client is the address the proxy appended, the last X-Forwarded-For entry; entries before it are
whatever the client sent and prove nothing.
"""

from django.conf import settings


def client_address(request):
    """The client's IP address for throttling sign-ins (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    if settings.NEWSROOM_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
