"""The admin site, whose index page is the editor's day."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db.models import Sum
from django.template.response import TemplateResponse
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.client_address import client_address

EDITORS_DAY_ROWS = 10


def must_have_second_factor(user):
    """Every staff account, when NEWSROOM_REQUIRE_2FA is on: reporters' reach unpublished stories too."""
    return settings.NEWSROOM_REQUIRE_2FA and user.is_authenticated and user.is_staff


def needs_second_factor(user):
    """Anyone with an authenticator signs in with it, and whoever must have one."""
    if not user.is_authenticated:
        return False
    if must_have_second_factor(user):
        return True
    # Asked by every admin view and again by the page's own permission checks: the answer (two
    # queries, authenticator app and recovery codes) is kept on the request's user object.
    if not hasattr(user, "_newsroom_has_device"):
        user._newsroom_has_device = user_has_device(user)
    return user._newsroom_has_device


def device_for_code(user, code):
    """The device a sign-in code is for: six digits are the authenticator's, anything else is a
    recovery code. Checking one device only keeps a typo from throttling the other."""
    kind = TOTPDevice if code.isdigit() else StaticDevice
    return kind.objects.devices_for_user(user, confirmed=True).first() or next(
        devices_for_user(user, confirmed=True), None
    )


class NewsroomLoginForm(AdminAuthenticationForm, OTPAuthenticationFormMixin):
    """Password, then a TOTP or recovery code when the account has an authenticator. An account
    that must have one and has none signs in unverified, and can only enrol (accounts/)."""

    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_challenge = forms.CharField(required=False)
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "Enter the six-digit code from your authenticator app.",
        "invalid_token": "That code is wrong or has expired. Enter the code your app shows now.",
    }

    def clean(self):
        self.cleaned_data = super().clean()
        user = self.get_user()
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        return self.cleaned_data

    def clean_otp_token(self):
        return self.cleaned_data["otp_token"].lower()  # recovery codes are shown in lower case

    def _chosen_device(self, user):
        # One field, no device picker: the code tells which device it is for.
        return device_for_code(user, self.cleaned_data.get("otp_token") or "")


class NewsroomAdminSite(admin.AdminSite):
    site_header = "Newsroom"
    site_title = "Newsroom admin"
    index_title = "The desk today"
    index_template = "admin/newsroom_index.html"
    login_form = NewsroomLoginForm
    login_template = "admin/newsroom_login.html"

    def has_permission(self, request):
        # A session that skipped the code (or predates the rule) is sent back to sign in.
        if not super().has_permission(request):
            return False
        return request.user.is_verified() or not needs_second_factor(request.user)

    def login(self, request, extra_context=None):
        if request.method == "POST" and address_throttled(request):
            context = {**self.each_context(request), "cooloff_minutes": _cooloff_minutes()}
            return TemplateResponse(request, "admin/address_throttled.html", context, status=429)
        return super().login(request, extra_context)

    def index(self, request, extra_context=None):
        context = {"editors_day": editors_day(request.user), **(extra_context or {})}
        return super().index(request, context)


def _cooloff_minutes():
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def address_throttled(request):
    """Whether the client's address made NEWSROOM_ADDRESS_FAILURE_LIMIT failed sign-ins, over any
    accounts, within the cool-off time. django-axes locks each account at its own limit; this
    stops guesses spread thinly over many accounts, read from the attempts axes records."""
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.filter(
        ip_address=client_address(request), attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    failures = recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
    return failures >= settings.NEWSROOM_ADDRESS_FAILURE_LIMIT


@dataclass
class DayBlock:
    """One block of the desk's day: how many stories, the change list of exactly those, and the first
    few as links."""

    key: str
    caption: str
    empty: str
    when: str  # the time each row shows: "published", "embargoed" (with the time left) or "updated"
    count: int
    url: str
    rows: list


def editors_day(user, now=None):
    """The desk's day, for the admin's index: drafts by anyone (imported ones too), the review queue,
    what is scheduled for today and tomorrow, what is under embargo (soonest lifted first), what
    went out today, what was corrected lately, and the user's own stories in hand. Two queries a
    block, each read through an index, whatever the size of the archive; each block's count is
    what its change list link shows."""
    from django.urls import reverse

    from articles import admin_filters as day
    from articles.models import Article

    if not user.has_perm("articles.view_article"):
        return None
    now = now or timezone.now()
    articles = Article.objects.all()
    blocks = [
        # key, caption, when nothing, the stories, the change list's filter, row order, time shown
        ("drafts", "Drafts", "No drafts.", articles.drafts(), "state=draft", "-updated_at", "updated"),
        (
            "in_review", "In review", "Nothing is waiting for review.",
            articles.in_review(), "state=review", "updated_at", "updated",
        ),
        (
            "scheduled_today", "Scheduled for later today", "Nothing more is scheduled today.",
            day.scheduled_for(articles, "today", now), "scheduled_for=today", "published_at", "published",
        ),
        (
            "scheduled_tomorrow", "Scheduled for tomorrow", "Nothing is scheduled for tomorrow.",
            day.scheduled_for(articles, "tomorrow", now), "scheduled_for=tomorrow", "published_at",
            "published",
        ),
        (
            "embargoed", "Embargoed", "No story is under embargo.",
            day.embargoed(articles, now), "embargoed=ahead", "embargoed_until", "embargoed",
        ),
        (
            "published_today", "Published today", "Nothing published today yet.",
            day.published_today(articles, now), "published_on=today", "-published_at", "published",
        ),
        (
            "corrected", f"Corrected in the last {day.CORRECTED_RECENTLY.days} days",
            "No recent corrections.",
            day.corrected_recently(articles, now), "corrected=recently", "-updated_at", "updated",
        ),
        (
            "mine", "My stories in hand (draft or in review)", "You have no drafts or stories in review.",
            day.mine(articles, user, "open"), "mine=open", "-updated_at", "updated",
        ),
    ]  # fmt: skip
    changelist = reverse("admin:articles_article_changelist")
    return [
        DayBlock(
            key=key,
            caption=caption,
            empty=empty,
            when=when,
            count=stories.count(),
            url=f"{changelist}?{query}",
            rows=list(
                stories.select_related("section", "updated_by")
                .only(*DAY_ROW_FIELDS)
                .order_by(*_row_order(order))[:EDITORS_DAY_ROWS]
            ),
        )
        for key, caption, empty, stories, query, order, when in blocks
    ]


def _row_order(order):
    """Rows by publication time (or embargo) come in its index's order, story id breaking ties; by
    updated time, the (status, updated time) index's order alone: a tie-breaker it lacks would sort
    every draft of the archive to find the first ten."""
    if order.lstrip("-") in ("published_at", "embargoed_until"):
        return [order, "-pk" if order.startswith("-") else "pk"]
    return [order]


# What a row of the day shows: not the stories' text, most of what a row would otherwise read.
DAY_ROW_FIELDS = [
    "headline", "status", "published_at", "embargoed_until", "updated_at", "section__name",
    "updated_by__username", "updated_by__first_name", "updated_by__last_name",
]  # fmt: skip
