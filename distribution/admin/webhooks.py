"""Partners' webhooks in the editors' workspace: the endpoints editors register (with the secret to
hand to the partner, and a way to make a new one), and the delivery log, read-only, each delivery
with its attempts; a failed delivery can be sent again."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from distribution.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from distribution.webhooks.sending import queue

HEALTH_WINDOW = timedelta(days=7)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text=WebhookEndpoint._meta.get_field("url").help_text,
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the partner is told about.",
    )
    new_secret = forms.BooleanField(
        label="Make a new secret",
        required=False,
        help_text="The partner must then verify with the new one; the old one also signs for 24 hours.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "events_shown", "active", "health", "last_delivered_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_shown", "disabled_reason", "created_at", "created_by"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "active"]
        if obj is None:
            return fields
        return [*fields, "disabled_reason", "secret_shown", "new_secret", "created_at", "created_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_health(timezone.now() - HEALTH_WINDOW)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif form.cleaned_data.get("new_secret"):
            obj.rotate_secret()
            self.message_user(request, f"“{obj}” has a new secret: hand it to the partner.", messages.WARNING)
        super().save_model(request, obj, form, change)

    @admin.display(description="secret")
    def secret_shown(self, obj):
        return format_html(
            "<code>{}</code><div class='help'>Give it to the partner: they verify each message's "
            "webhook-signature with it (Standard Webhooks).</div>",
            obj.secret,
        )

    @admin.display(description="events")
    def events_shown(self, obj):
        return ", ".join(WebhookEvent(event).label for event in WebhookEvent.values if event in obj.events)

    @admin.display(description="last 7 days")
    def health(self, obj):
        failed_url = reverse("admin:distribution_webhookdelivery_changelist")
        return format_html(
            '{} delivered · <a href="{}?endpoint__id__exact={}&status__exact=failed">{} failed</a>'
            " · {} waiting",
            obj.recent_delivered,
            failed_url,
            obj.pk,
            obj.recent_failed,
            obj.waiting,
        )

    @admin.display(description="last delivered", ordering="last_delivered_at")
    def last_delivered_at(self, obj):
        return obj.last_delivered_at or "never"


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = ["at", "duration_ms", "response_code", "error"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "event", "article_slug", "endpoint", "status", "attempts", "last_response_code",
        "when", "error_shown",
    ]  # fmt: skip
    list_filter = ["status", "endpoint", "event"]
    list_select_related = ["endpoint"]
    search_fields = ["article_slug", "message_id"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]
    fields = readonly_fields = [
        "endpoint", "event", "article_id", "article_slug", "message_id", "status", "attempts", "max_attempts",
        "next_attempt_at", "delivered_at", "last_response_code", "last_error", "created_at", "payload_shown",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request):
        # Whoever manages the endpoints (editors) may send a failed message again.
        return request.user.has_perm("distribution.change_webhookendpoint")

    @admin.action(description="Send again (failed deliveries only)", permissions=["send"])
    def send_again(self, request, queryset):
        ids = queryset.send_again()
        queue(ids)
        skipped = queryset.count() - len(ids)
        if ids:
            self.message_user(
                request, f"{len(ids)} failed delivery(ies) queued to be sent again.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} delivery(ies) left as they are: only a failed delivery is sent again "
                "(a delivered one never is, a pending one is already on its way).",
                messages.WARNING,
            )

    @admin.display(description="next attempt / delivered")
    def when(self, obj):
        if obj.status == DeliveryStatus.PENDING and obj.next_attempt_at is None:
            return "now"
        return obj.delivered_at or obj.next_attempt_at or "—"

    @admin.display(description="last error")
    def error_shown(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description="payload (as sent)")
    def payload_shown(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.payload), indent=2, ensure_ascii=False))
