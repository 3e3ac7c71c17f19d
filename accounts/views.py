"""The two-factor sign-in page in the admin: enrol an authenticator app, or manage the one the
account has. Who may open it: accounts/two_factor.py."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts import two_factor

WRONG_CODE = "That code is wrong or has expired. Enter the code your app shows now."


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "size": 12})
    )

    def __init__(self, *args, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = label

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "").lower()  # recovery codes are shown in lower case


def enrolment_page(view):
    @wraps(view)
    def checked(request):
        if not two_factor.may_enrol(request.user):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request)

    return never_cache(checked)


@enrolment_page
def two_factor_page(request):
    if two_factor.PENDING in request.session or not two_factor.has_authenticator(request.user):
        return enrol(request)
    return manage(request)


def enrol(request):
    """Show a new authenticator's QR code and secret; confirm it with the first code it shows."""
    if request.POST.get("action") == "cancel":
        two_factor.cancel_enrolment(request)
        return redirect("accounts:two_factor")
    device = two_factor.pending_authenticator(request)
    form = CodeForm(request.POST or None, label="Code from the app")
    if form.is_valid():
        if two_factor.confirm_authenticator(request, form.cleaned_data["code"]):
            messages.success(request, "Your authenticator app is set up: sign in with its codes from now on.")
            if two_factor.recovery_codes_left(request.user):
                return redirect("accounts:two_factor")
            return recovery_codes_page(request, two_factor.new_recovery_codes(request.user))
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_svg(device),
        "secret": two_factor.secret_text(device),
        "replacing": two_factor.has_authenticator(request.user),
    }
    return render(request, "admin/accounts/enrol.html", context)


def manage(request):
    """With a current code: new recovery codes, a new authenticator, or (when not required) none."""
    form = CodeForm(request.POST or None, label="Current code (or a recovery code)")
    action = request.POST.get("action")
    may_turn_off = not settings.NEWSROOM_REQUIRE_2FA
    if form.is_valid():
        if not two_factor.code_is_valid(request.user, form.cleaned_data["code"]):
            form.add_error("code", WRONG_CODE)
        elif action == "recovery-codes":
            return recovery_codes_page(request, two_factor.new_recovery_codes(request.user))
        elif action == "replace":
            two_factor.pending_authenticator(request)
            return redirect("accounts:two_factor")
        elif action == "turn-off" and may_turn_off:
            two_factor.turn_off(request.user)
            messages.success(request, "Two-factor sign-in is off for your account.")
            return redirect("admin:index")
    context = {
        "form": form,
        "recovery_codes_left": two_factor.recovery_codes_left(request.user),
        "may_turn_off": may_turn_off,
    }
    return render(request, "admin/accounts/manage.html", context)


def recovery_codes_page(request, codes):
    # Shown once, in the answer to the POST that made them; they are never shown again.
    return render(request, "admin/accounts/recovery_codes.html", {"codes": codes})


def render(request, template, context):
    context = {**admin.site.each_context(request), "title": "Two-factor sign-in", **context}
    return TemplateResponse(request, template, context)
