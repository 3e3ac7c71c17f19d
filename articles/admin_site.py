"""The admin site, whose index page is the editor's day."""

from datetime import timedelta

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
RECENT = timedelta(days=2)


def must_have_second_factor(user):
    """Every staff account, when NEWSROOM_REQUIRE_2FA is on: reporters' reach unpublished stories too."""
    return settings.NEWSROOM_REQUIRE_2FA and user.is_authenticated and user.is_staff


def needs_second_factor(user):
    """Anyone with an authenticator signs in with it, and whoever must have one."""
    if not user.is_authenticated:
        return False
    return must_have_second_factor(user) or user_has_device(user)


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


def editors_day(user):
    """What needs a look: the review queue, the schedule, what went out lately, and the user's drafts."""
    from articles.models import Article

    if not user.has_perm("articles.view_article"):
        return None
    articles = Article.objects.select_related("section", "updated_by")
    return {
        "in_review": list(articles.in_review().order_by("updated_at")[:EDITORS_DAY_ROWS]),
        "scheduled": list(articles.scheduled().order_by("published_at")[:EDITORS_DAY_ROWS]),
        "recently_published": list(
            articles.published()
            .filter(published_at__gte=timezone.now() - RECENT)
            .newest_first()[:EDITORS_DAY_ROWS]
        ),
        "my_drafts": list(
            articles.drafts().filter(created_by=user).order_by("-updated_at")[:EDITORS_DAY_ROWS]
        ),
    }
