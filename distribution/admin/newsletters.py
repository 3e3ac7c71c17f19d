"""Newsletters in the editors' workspace.

The daily briefing: its stories (assembled from the day's, in the order the editors set), a note,
a preview, and "Send now" or "Hold". Mailings and their send log, read-only, with where each stands;
a stopped one can be resumed. Subscribers can be looked up and deleted (on request: that deletes
what was sent to them too), never added or exported: only a reader signs up, and confirms.
A story's form gets a "Breaking-news alert" box for editors.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from articles.admin import add_article_inline
from distribution import briefings, emails, lists
from distribution.models import (
    BreakingAlert,
    Briefing,
    BriefingItem,
    Delivery,
    Mailing,
    Subscriber,
    Subscription,
)
from distribution.models.newsletters import BriefingStatus, DeliveryStatus, MailingStatus
from distribution.sending import send_mailing


class BreakingAlertForm(forms.ModelForm):
    send = forms.BooleanField(
        label="Send as a breaking-news alert",
        required=True,
        help_text="Goes to every alert subscriber once the story is public, once. It cannot be called back.",
    )

    class Meta:
        model = BreakingAlert
        fields = ["send", "subject"]


class BreakingAlertInline(admin.StackedInline):
    model = BreakingAlert
    form = BreakingAlertForm
    extra = 0
    max_num = 1
    can_delete = False
    verbose_name_plural = "breaking-news alert (email to alert subscribers)"
    readonly_fields = ["state"]

    def get_fields(self, request, obj=None):
        return ["send", "subject", "state"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = formset.form

        def save(self, commit=True):
            if self.instance.pk is None:
                self.instance.requested_by = request.user
            return forms.ModelForm.save(self, commit)

        formset.form = type(form.__name__, (form,), {"save": save})
        return formset

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and BreakingAlert.objects.filter(article=obj).exists():
            return ["send", "subject", "state"]  # asked for: it stands as it was
        return ["state"]

    @admin.display(description="where it stands")
    def state(self, alert):
        if alert.pk is None:
            return "—"
        if alert.mailing_id is None:
            return "Goes out when the story is published."
        mailing = alert.mailing
        url = reverse("admin:distribution_mailing_change", args=[mailing.pk])
        return format_html('<a href="{}">{}</a>', url, mailing.get_status_display())


# No part of the story's text: saving an alert announces no change of the story.
add_article_inline(BreakingAlertInline, part=None)


class BriefingItemInline(admin.TabularInline):
    model = BriefingItem
    extra = 0
    fields = ["position", "article"]
    raw_id_fields = ["article"]
    ordering = ["position", "id"]
    verbose_name_plural = "stories, in the order they appear (change the numbers to reorder)"


@admin.register(Briefing)
class BriefingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "send_at", "status", "story_count", "mailing_link"]
    list_filter = ["status"]
    date_hierarchy = "date"
    inlines = [BriefingItemInline]
    fields = ["date", "send_at", "status", "note", "tools"]
    readonly_fields = ["tools"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stories=Count("items")).select_related("mailing")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == BriefingStatus.SENT:
            return ["date", "send_at", "status", "note", "tools"]
        return self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "status" in form.base_fields:
            form.base_fields["status"].choices = [
                (value, label) for value, label in BriefingStatus.choices if value != BriefingStatus.SENT
            ]
        return form

    def get_changeform_initial_data(self, request):
        day = emails.edition_date()
        return {"date": day, "send_at": briefings.send_time(day)}

    @admin.display(description="stories")
    def story_count(self, briefing):
        return briefing.stories

    @admin.display(description="mailing")
    def mailing_link(self, briefing):
        if briefing.mailing is None:
            return "—"
        url = reverse("admin:distribution_mailing_change", args=[briefing.mailing.pk])
        return format_html('<a href="{}">{}</a>', url, briefing.mailing.get_status_display())

    @admin.display(description="")
    def tools(self, briefing):
        if briefing.pk is None:
            return "Save it first; then its stories can be assembled, previewed and sent."
        preview = reverse("admin:distribution_briefing_preview", args=[briefing.pk])
        if briefing.status == BriefingStatus.SENT:
            return format_html('<a href="{}">See the email as it went out</a>', preview)
        return format_html(
            '<a href="{}">Preview the email</a> · '
            '<button type="submit" name="_assemble" class="button">Add the day’s new stories</button> '
            '<button type="submit" name="_send_now" class="button default">Send now</button>',
            preview,
        )

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        briefing = form.instance
        if not change and not briefing.items.exists():
            briefings.assemble(briefing)
        if "_assemble" in request.POST:
            briefings.assemble(briefing)
            messages.info(request, "The day's new stories were added after the ones already chosen.")
        if "_send_now" in request.POST:
            if briefings.send(briefing, by=request.user):
                messages.success(request, "The briefing is on its way: the worker sends it now.")
            else:
                messages.warning(request, "This briefing had gone out already: it was not sent again.")

    def response_change(self, request, obj):
        if "_assemble" in request.POST:
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_urls(self):
        own = [
            path(
                "<int:briefing_id>/preview/",
                self.admin_site.admin_view(self.preview),
                name="distribution_briefing_preview",
            )
        ]
        return own + super().get_urls()

    def preview(self, request, briefing_id):
        """The email as subscribers will see it (or saw it), in the browser."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        briefing = get_object_or_404(Briefing, pk=briefing_id)
        if briefing.mailing is not None:
            return HttpResponse(briefing.mailing.html)
        html, _, _ = briefings.render(briefing)
        return HttpResponse(html)


class DeliveryCounts:
    """Counts of a mailing's send log by status, read with the mailing list's one query."""

    annotations = {
        f"{status}_count": Count("deliveries", filter=Q(deliveries__status=status))
        for status in DeliveryStatus.values
    }


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "list_title", "status", "progress", "started_at", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    fields = [
        "subject", "kind", "list_key", "edition", "article", "status", "note", "progress",
        "created_at", "started_at", "finished_at", "recipient_count", "send_log",
    ]  # fmt: skip
    actions = ["resume", "cancel"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**DeliveryCounts.annotations)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="list")
    def list_title(self, mailing):
        return lists.lookup_title(mailing.list_key)

    @admin.display(description="sent / failed / skipped / waiting")
    def progress(self, mailing):
        counts = (mailing.sent_count, mailing.failed_count, mailing.skipped_count, mailing.pending_count)
        return " / ".join(str(count) for count in counts)

    @admin.display(description="send log")
    def send_log(self, mailing):
        url = reverse("admin:distribution_delivery_changelist") + f"?mailing__id__exact={mailing.pk}"
        return format_html('<a href="{}">Each recipient, with when it went or why not</a>', url)

    @admin.action(description="Resume sending the selected mailings", permissions=["view"])
    def resume(self, request, queryset):
        unfinished = queryset.filter(status__in=[MailingStatus.QUEUED, MailingStatus.SENDING])
        for mailing in unfinished:
            send_mailing.enqueue(mailing.pk)
        self.message_user(request, f"{len(unfinished)} mailing(s) queued to go on from where they stopped.")

    @admin.action(description="Cancel the selected mailings (who has it keeps it)", permissions=["view"])
    def cancel(self, request, queryset):
        count = queryset.filter(status__in=[MailingStatus.QUEUED, MailingStatus.SENDING]).update(
            status=MailingStatus.CANCELLED, note=f"Cancelled by {request.user}."
        )
        self.message_user(request, f"{count} mailing(s) cancelled.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "mailing", "status", "sent_at", "error"]
    list_filter = ["status"]
    search_fields = ["subscriber__email"]
    list_select_related = ["subscriber", "mailing"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["list_key", "created_at", "confirmed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at", "confirmed_lists"]
    search_fields = ["email"]
    fields = ["email", "created_at"]
    readonly_fields = ["email", "created_at"]
    inlines = [SubscriptionInline]
    show_full_result_count = False

    def get_queryset(self, request):
        confirmed = Count("subscriptions", filter=Q(subscriptions__confirmed_at__isnull=False))
        return super().get_queryset(request).annotate(confirmed=confirmed)

    @admin.display(description="confirmed lists")
    def confirmed_lists(self, subscriber):
        return subscriber.confirmed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
