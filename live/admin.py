"""Live coverage in the editors' workspace.

From a story's form: a "Live coverage" inline marks it live and holds its key points and times,
and a panel at the top links, in one click, to the short form that posts an update. Reporters post
updates as drafts; editors publish them (or post straight to the page), pin, correct and remove
them. A published update's text, changed, is marked as corrected, with the time and a note.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from articles.admin import add_article_inline, add_change_form_panel
from articles.models import Author
from articles.publishing_actions import desk_time
from live.models import LiveStory, LiveUpdate, UpdateStatus

PUBLISH_UPDATES = "live.publish_liveupdate"


def may_publish_updates(user):
    return user.has_perm(PUBLISH_UPDATES)


class LiveStoryInline(admin.StackedInline):
    model = LiveStory
    extra = 0
    max_num = 1
    can_delete = True
    verbose_name = "live coverage"
    verbose_name_plural = "live coverage (a stream of updates on the story's page)"
    fields = ["key_points", "started_at", "ended_at"]


add_article_inline(LiveStoryInline, part="live")


def live_panel(request, article):
    """At the top of a live story's form: where its coverage stands, and the way to post."""
    if article is None or article.pk is None:
        return None
    story = (
        LiveStory.objects.filter(pk=article.pk)
        .annotate(
            published=Count("updates", filter=Q(updates__status=UpdateStatus.PUBLISHED)),
            drafts=Count("updates", filter=Q(updates__status=UpdateStatus.DRAFT)),
        )
        .first()
    )
    if story is None:
        return None
    post_url = reverse("admin:live_liveupdate_add") + f"?story={story.pk}"
    list_url = reverse("admin:live_liveupdate_changelist") + f"?story__article__exact={story.pk}"
    state = "Live, open" if story.is_open else f"Ended {desk_time(story.ended_at)}"
    drafts = format_html(", <strong>{} waiting for an editor</strong>", story.drafts) if story.drafts else ""
    return format_html(
        '<section class="module live-panel" aria-label="Live coverage"><h2>Live coverage</h2>'
        '<p>{} · {} published update{}{} · <a class="button default" href="{}" id="post-live-update">'
        'Post an update</a> <a href="{}">All updates</a></p></section>',
        state,
        story.published,
        "" if story.published == 1 else "s",
        drafts,
        post_url,
        list_url,
    )


add_change_form_panel(live_panel)


class LiveUpdateForm(forms.ModelForm):
    publish = forms.TypedChoiceField(
        label="On saving",
        choices=[("1", "Publish now: on the page at once"), ("", "Save as a draft for an editor")],
        coerce=bool,
        empty_value=False,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = LiveUpdate
        fields = ["story", "headline", "body", "author", "pinned", "correction"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6}), "headline": forms.TextInput(attrs={"size": 60})}


@admin.register(LiveUpdate)
class LiveUpdateAdmin(admin.ModelAdmin):
    form = LiveUpdateForm
    list_display = ["shown_time", "status", "text", "story", "author", "pinned", "corrected_at"]
    list_filter = ["status", "pinned", ("story__article", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["story__article", "author"]
    search_fields = ["headline", "body"]
    autocomplete_fields = ["author"]
    raw_id_fields = ["story"]
    actions = ["publish_selected", "pin", "unpin"]
    ordering = ["-changed_at"]

    def get_fields(self, request, obj=None):
        fields = ["story", "headline", "body", "author", "pinned"]
        if obj is not None and obj.is_published:
            fields.append("correction")
        if may_publish_updates(request.user) and (obj is None or not obj.is_published):
            fields.append("publish")
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "publish" not in self.get_fields(request, obj):
            # Not offered (a reporter; an update already out): a value posted for it is not read.
            form.base_fields.pop("publish", None)
        return form

    def get_readonly_fields(self, request, obj=None):
        return ["story"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        author = Author.objects.filter(user=request.user).first()
        if author is not None:
            initial.setdefault("author", author.pk)
        initial["publish"] = "1" if may_publish_updates(request.user) else ""
        return initial

    @admin.display(description="Time", ordering="published_at")
    def shown_time(self, update):
        return desk_time(update.published_at) if update.published_at else "—"

    @admin.display(description="Update")
    def text(self, update):
        return update.headline or update.summary[:80]

    # Roles: reporters post and edit drafts; editors also publish, change and remove published ones.

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not may_publish_updates(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not may_publish_updates(request.user):
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return may_publish_updates(request.user)

    def save_model(self, request, obj, form, change):
        publish = form.cleaned_data.get("publish")
        if publish and not may_publish_updates(request.user):
            raise PermissionDenied("Only an editor can publish an update.")
        if not change:
            obj.created_by = request.user
        if publish:
            obj.status = UpdateStatus.PUBLISHED
        elif "publish" in form.fields:
            obj.status = UpdateStatus.DRAFT
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Posted: say so with a link to it, and offer the form again for the next one."""
        if "_continue" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        where = "on the page now" if obj.is_published else "saved as a draft for an editor to publish"
        self.message_user(
            request,
            format_html(
                'Update posted at {}: {}. <a href="{}">The story\'s form</a>',
                desk_time(obj.created_at),
                where,
                reverse("admin:articles_article_change", args=[obj.story_id]),
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:live_liveupdate_add") + f"?story={obj.story_id}")

    @admin.action(description="Publish the selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        count = 0
        for update in queryset.filter(status=UpdateStatus.DRAFT):
            update.status = UpdateStatus.PUBLISHED
            update.save()
            count += 1
        self.message_user(request, f"{count} update{'s' if count != 1 else ''} published.", messages.SUCCESS)

    @admin.action(description="Pin to the top of the story", permissions=["publish"])
    def pin(self, request, queryset):
        self._set_pinned(request, queryset, True)

    @admin.action(description="Unpin", permissions=["publish"])
    def unpin(self, request, queryset):
        self._set_pinned(request, queryset, False)

    def _set_pinned(self, request, queryset, pinned):
        for update in queryset.exclude(pinned=pinned):
            update.pinned = pinned
            update.save()
        self.message_user(request, "Pinned." if pinned else "Unpinned.", messages.SUCCESS)


@admin.register(LiveStory)
class LiveStoryAdmin(admin.ModelAdmin):
    list_display = ["article", "open_or_ended", "started_at", "last_change_at"]
    list_select_related = ["article"]
    search_fields = ["article__headline"]
    raw_id_fields = ["article"]
    fields = ["article", "key_points", "started_at", "ended_at"]
    actions = ["end_now"]

    @admin.display(description="Coverage")
    def open_or_ended(self, story):
        return "Open" if story.is_open else f"Ended {desk_time(story.ended_at)}"

    @admin.action(description="End the coverage now")
    def end_now(self, request, queryset):
        now = timezone.now()
        for story in queryset.filter(ended_at__isnull=True):
            story.ended_at = now
            story.save()
        self.message_user(request, "Coverage ended: the stories say so to readers.", messages.SUCCESS)
