"""The article change list's filters: a story's state and publication year, and the desk's day
(articles/admin_site.py's dashboard links to each): scheduled for today or tomorrow, embargoed,
published today, corrected recently, and the user's own.

"Today" is the desk's day, midnight to midnight in its time zone (TIME_ZONE, from
NEWSROOM_TIME_ZONE). Each set is written once, here, and both the dashboard's count and the change
list the dashboard links to read it, so the two agree.
"""

from datetime import datetime, time, timedelta

from django.contrib import admin
from django.utils import timezone

from articles.models import Correction, State, Status

# What "recently corrected" means on the desk.
CORRECTED_RECENTLY = timedelta(days=7)


def desk_midnights(now=None):
    """The start of today, tomorrow and the day after, in the desk's time zone."""
    today = timezone.localdate(now or timezone.now())
    zone = timezone.get_current_timezone()
    return [datetime.combine(today + timedelta(days=n), time(), tzinfo=zone) for n in range(3)]


def scheduled_for(queryset, day, now=None):
    """Scheduled stories going out later ``day`` ("today") or ``day`` ("tomorrow"), desk time."""
    now = now or timezone.now()
    today, tomorrow, after = desk_midnights(now)
    scheduled = queryset.in_state(State.SCHEDULED, now)  # from now on
    if day == "today":
        return scheduled.filter(published_at__lt=tomorrow)
    return scheduled.filter(published_at__gte=tomorrow, published_at__lt=after)


def embargoed(queryset, now=None):
    """Stories whose embargo is still ahead, in any state. Read from the embargo's partial index."""
    return queryset.filter(embargoed_until__gt=now or timezone.now())


def published_today(queryset, now=None):
    """Stories readers can see that went out since the desk's midnight."""
    now = now or timezone.now()
    return queryset.in_state(State.PUBLISHED, now).filter(published_at__gte=desk_midnights(now)[0])


def corrected_recently(queryset, now=None):
    """Stories with a correction dated within ``CORRECTED_RECENTLY``. Read from the corrections'
    date index: a few recent corrections, not every story's."""
    since = (now or timezone.now()) - CORRECTED_RECENTLY
    return queryset.filter(pk__in=Correction.objects.filter(date__gte=since).values("article_id"))


def mine(queryset, user, which="open"):
    """The stories ``user`` created: all of them, or the ones still in their hands ("open": draft or
    in review)."""
    own = queryset.filter(created_by=user)
    return own.filter(status__in=[Status.DRAFT, Status.REVIEW]) if which == "open" else own


class ScheduledForFilter(admin.SimpleListFilter):
    title = "scheduled for"
    parameter_name = "scheduled_for"

    def lookups(self, request, model_admin):
        return [("today", "Later today"), ("tomorrow", "Tomorrow")]

    def queryset(self, request, queryset):
        if self.value() in ("today", "tomorrow"):
            return scheduled_for(queryset, self.value())
        return queryset


class EmbargoedFilter(admin.SimpleListFilter):
    title = "embargoed"
    parameter_name = "embargoed"

    def lookups(self, request, model_admin):
        return [("ahead", "Embargo still ahead")]

    def queryset(self, request, queryset):
        return embargoed(queryset) if self.value() == "ahead" else queryset


class PublishedTodayFilter(admin.SimpleListFilter):
    title = "published"
    parameter_name = "published_on"

    def lookups(self, request, model_admin):
        return [("today", "Today")]

    def queryset(self, request, queryset):
        return published_today(queryset) if self.value() == "today" else queryset


class CorrectedFilter(admin.SimpleListFilter):
    title = "corrected"
    parameter_name = "corrected"

    def lookups(self, request, model_admin):
        return [("recently", f"In the last {CORRECTED_RECENTLY.days} days")]

    def queryset(self, request, queryset):
        return corrected_recently(queryset) if self.value() == "recently" else queryset


class MineFilter(admin.SimpleListFilter):
    title = "created by me"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("open", "Draft or in review"), ("all", "All")]

    def queryset(self, request, queryset):
        if self.value() in ("open", "all"):
            return mine(queryset, request.user, self.value())
        return queryset


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("live", "Published"),
        ]

    def queryset(self, request, queryset):
        return {
            "draft": queryset.drafts,
            "review": queryset.in_review,
            "scheduled": queryset.scheduled,
            "live": queryset.published,
        }.get(self.value(), queryset.all)()


class PublishedYearFilter(admin.SimpleListFilter):
    """Publication year, in place of a date hierarchy: Django's asks the database for the distinct
    years (or months) of every article, a scan of the whole archive on each change list. The first
    and last publication times are two reads of an index, and the years between them are the
    choices (a year without stories shows an empty list). Its parameter is the hierarchy's, so
    a bookmarked ?published_at__year=YYYY keeps working."""

    title = "year published"
    parameter_name = "published_at__year"

    def lookups(self, request, model_admin):
        # Two queries, not MIN() and MAX() in one: SQLite reads an index for a lone MIN or MAX only.
        stories = model_admin.model.objects.filter(published_at__isnull=False)
        times = stories.values_list("published_at", flat=True)
        first, last = times.order_by("published_at").first(), times.order_by("-published_at").first()
        if first is None:
            return []
        first, last = timezone.localtime(first).year, timezone.localtime(last).year
        return [(str(year), str(year)) for year in range(last, first - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(published_at__year=int(self.value()))
        return queryset
