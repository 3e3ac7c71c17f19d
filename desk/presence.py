"""Who else has a story open: no lock, a word at the top of the form.

Opening a story's form records the user's presence on it; while the form stays open its page says so
every 30 seconds (static/desk/presence.js, the heartbeat), and closing the tab takes the presence
away. A presence not heard from within ``NEWSROOM_PRESENCE_WINDOW`` is a tab left behind (a laptop
closed, a lost connection): not shown.
"""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from desk.models import Presence

HEARTBEAT_SECONDS = 30


def record(article, user, now=None):
    """Note that ``user`` has ``article`` open now. A presence still within the window keeps the time
    it was opened; one gone stale, or taken away when a tab closed, starts again."""
    now = now or timezone.now()
    mine = Presence.objects.filter(article=article, user=user)
    if not mine.filter(seen_at__gte=now - settings.NEWSROOM_PRESENCE_WINDOW).update(seen_at=now):
        times = {"opened_at": now, "seen_at": now}
        Presence.objects.update_or_create(article=article, user=user, defaults=times)


def leave(article, user):
    Presence.objects.filter(article=article, user=user).delete()


def others(article, user, now=None):
    """The presences of everyone but ``user`` on ``article`` seen within the window, first opened first."""
    now = now or timezone.now()
    return list(
        Presence.objects.filter(article=article, seen_at__gte=now - settings.NEWSROOM_PRESENCE_WINDOW)
        .exclude(user=user)
        .select_related("user")
        .order_by("opened_at", "pk")
    )


def describe(presence, now=None):
    """“Ana Ruiz has had this story open since 08:12 UTC (last seen 1 min ago)”, in the desk's time zone."""
    now = now or timezone.now()
    name = presence.user.get_full_name() or presence.user.get_username()
    since, seen = _clock(presence.opened_at, now), _last_seen(presence.seen_at, now)
    return f"{name} has had this story open since {since} ({seen})"


def _clock(moment, now):
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now).date():
        return f"{local:%H:%M} {local.tzname()}"
    return f"{local.day} {local:%b %H:%M} {local.tzname()}"


def _last_seen(moment, now):
    minutes = int((now - moment).total_seconds() // 60)
    return "last seen just now" if minutes < 1 else f"last seen {minutes} min ago"


def panel(request, article):
    """articles.admin's change-form panel: records the user's presence, says who else is here, and
    loads the heartbeat that keeps both current."""
    if article is None or article.pk is None:
        return None
    now = timezone.now()
    record(article, request.user, now)
    lines = [describe(presence, now) for presence in others(article, request.user, now)]
    return format_html(
        '<div id="desk-presence" class="desk-presence" role="status" data-heartbeat-url="{}" '
        'data-leave-url="{}" data-interval="{}"{}>{}</div><script src="{}" defer></script>',
        reverse("desk:presence", args=[article.pk]),
        reverse("desk:presence_leave", args=[article.pk]),
        HEARTBEAT_SECONDS,
        "" if lines else mark_safe(" hidden"),
        format_html_join("", '<p class="desk-presence__who">{}</p>', ((line,) for line in lines)),
        static("desk/presence.js"),
    )
