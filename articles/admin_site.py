"""The admin site, whose index page is the editor's day."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.template.response import TemplateResponse
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin

from articles.client_address import client_address

EDITORS_DAY_ROWS = 10


def needs_second_factor(user):
    """Anyone with an authenticator signs in with it; editors must have one when
    NEWSROOM_REQUIRE_2FA is on (their accounts can publish)."""
    from articles.models import can_publish

    if not user.is_authenticated:
        return False
    must = settings.NEWSROOM_REQUIRE_2FA and (user.is_superuser or can_publish(user))
    return must or user_has_device(user)


class NewsroomLoginForm(AdminAuthenticationForm, OTPAuthenticationFormMixin):
    """Password, then a TOTP code when the account has an authenticator or must have one."""

    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
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
        if user is not None and needs_second_factor(user):
            if not any(devices_for_user(user, confirmed=True)):
                raise ValidationError(
                    "Editors must sign in with an authentication code, and this account has no "
                    "authenticator yet. Ask an administrator to set one up (Admin → TOTP devices).",
                    code="no_device",
                )
            self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user):
        # One field, no device picker: the code is checked against the account's authenticator.
        return super()._chosen_device(user) or next(devices_for_user(user, confirmed=True), None)


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
    when: str  # the time each row shows: "published" or "updated"
    count: int
    url: str
    rows: list


def editors_day(user, now=None):
    """The desk's day, for the admin's index: drafts by anyone (imported ones too), the review queue,
    what is scheduled for today and tomorrow, what went out today, what was corrected lately, and
    the user's own stories in hand. Two queries a block, each read through an index, whatever the
    size of the archive; each block's count is what its change list link shows."""
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
    """Rows by publication time come in the publication index's order, story id breaking ties; by
    updated time, the (status, updated time) index's order alone: a tie-breaker it lacks would sort
    every draft of the archive to find the first ten."""
    if order.lstrip("-") == "published_at":
        return [order, "-pk" if order.startswith("-") else "pk"]
    return [order]


# What a row of the day shows: not the stories' text, most of what a row would otherwise read.
DAY_ROW_FIELDS = [
    "headline", "status", "published_at", "updated_at", "section__name",
    "updated_by__username", "updated_by__first_name", "updated_by__last_name",
]  # fmt: skip
