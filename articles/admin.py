"""The editors' workspace."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from articles import cards, publishing, publishing_actions, revisions, search, topic_picker
from articles.admin_filters import (
    CorrectedFilter,
    EmbargoedFilter,
    MineFilter,
    PublishedTodayFilter,
    PublishedYearFilter,
    ScheduledForFilter,
    StateFilter,
)
from articles.admin_revisions import StoryRevisionsAdmin
from articles.autotag import parse_aliases
from articles.forms import ArticleAdminForm, ScheduleForm, display_name
from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    PublicationEvent,
    Section,
    SlugRedirect,
    Tag,
    TaggedArticle,
    WorkflowError,
    can_publish,
)
from articles.models.workflow import embargo_refusal
from articles.preview import preview_token


class EditorsWriteWhatReadersSee:
    """A section's, topic's or author's description is printed on its public page as written, so
    only an editor (who may publish) writes it; anyone else sees it read-only, and a value posted
    for it anyway is not in the form to be saved."""

    reader_facing_fields = ("description",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if can_publish(request.user):
            return readonly
        return [*readonly, *self.reader_facing_fields]


class RefreshesCardsOnce:
    """One save here may touch a story's card data many times (the story, each byline, tag and
    correction; an author or tag on thousands of stories): it is worked out once, at the end of the
    request (articles/cards.py)."""

    def changeform_view(self, *args, **kwargs):
        with cards.batched():
            return super().changeform_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):  # bulk actions and list-editable saves
        with cards.batched():
            return super().changelist_view(*args, **kwargs)

    def delete_view(self, *args, **kwargs):
        with cards.batched():
            return super().delete_view(*args, **kwargs)


@admin.register(Section)
class SectionAdmin(EditorsWriteWhatReadersSee, admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(RefreshesCardsOnce, EditorsWriteWhatReadersSee, admin.ModelAdmin):
    reader_facing_fields = ("bio", "photo")
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]
    fields = ["name", "slug", "bio", "photo", "user"]


@admin.register(Tag)
class TagAdmin(RefreshesCardsOnce, EditorsWriteWhatReadersSee, admin.ModelAdmin):
    """Topics, with the aliases auto-tagging finds them by (articles.autotag)."""

    list_display = ["name", "slug", "alias_list"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "aliases"]

    @admin.display(description="Aliases")
    def alias_list(self, tag):
        return Truncator(", ".join(parse_aliases(tag.aliases))).chars(80)


class BylineInline(admin.TabularInline):
    model = ArticleAuthor
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name = "author"
    verbose_name_plural = "byline (in order)"

    def get_queryset(self, request):
        # Each row is labelled "author on article": without these, two queries a row.
        return super().get_queryset(request).select_related("author", "article")


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0


class PublicationEventInline(admin.TabularInline):
    """The article's audit trail, read-only."""

    model = PublicationEvent
    fields = ["action", "actor", "at", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "publication history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The part of a story each inline edits, as publishing.story_changed names it.
STORY_PART_OF_INLINE = {ArticleAuthor: "authors", TaggedArticle: "tags", Correction: "corrections"}
# Inlines later apps add to the article form (photos: the lead image), shown after the story's own.
EXTRA_ARTICLE_INLINES = []


# Panels later apps show at the top of a story's form: each is called as panel(request, article)
# (article None on the add form) and returns safe HTML or None.
CHANGE_FORM_PANELS = []


def add_change_form_panel(panel):
    """The hook for an app beside articles to show something above a story's fields."""
    if panel not in CHANGE_FORM_PANELS:
        CHANGE_FORM_PANELS.append(panel)


def add_article_inline(inline, *, part):
    """The hook for an app beside articles to edit its part of a story in the article form; a change
    made there is announced in story_changed's ``changes`` as ``part``."""
    if inline not in EXTRA_ARTICLE_INLINES:
        EXTRA_ARTICLE_INLINES.append(inline)
    STORY_PART_OF_INLINE[inline.model] = part


class ArchiveChangeList(ChangeList):
    """The change list's rows without the stories' text: a page shows headlines, and a hundred
    bodies and their HTML are most of what the query would read."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("body", "body_html")


@admin.register(Article)
class ArticleAdmin(RefreshesCardsOnce, StoryRevisionsAdmin, SimpleHistoryAdmin):
    form = ArticleAdminForm
    list_display = ["headline", "section", "state", "published_at", "embargo", "byline", "updated_at"]
    list_filter = [
        StateFilter,
        # The desk's day (articles/admin_site.py links to each).
        ScheduledForFilter,
        EmbargoedFilter,
        PublishedTodayFilter,
        CorrectedFilter,
        MineFilter,
        "status",
        "section",
        "featured",
        "tags",
        ("published_at", admin.DateFieldListFilter),
        PublishedYearFilter,
    ]
    list_select_related = ["section"]
    search_fields = ["headline", "dek", "body", "slug"]
    # "1 result (100,000 total)" costs a second count of the whole archive on every filtered page.
    show_full_result_count = False
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section"]
    # Topics are one field of the form (articles/topic_picker.py), not an inline.
    inlines = [BylineInline, CorrectionInline, PublicationEventInline]

    def get_inlines(self, request, obj):
        own = list(self.inlines)
        return [*own[:-1], *EXTRA_ARTICLE_INLINES, own[-1]]  # the audit trail stays last

    readonly_fields = ["word_count", "created_at", "updated_at", "source_name", "source_id", "preview_link"]
    actions = ["send_to_review", "publish_now", "schedule", "unpublish"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "body", "section", "tags", "dateline"]}),
        (
            "Publication",
            {
                "fields": [
                    "status",
                    "published_at",
                    "embargoed_until",
                    "featured",
                    "preview_link",
                    "opened_version",
                ],
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": ["word_count", "created_at", "updated_at", "source_name", "source_id"],
            },
        ),
    ]

    def get_queryset(self, request):
        # The change list's bylines come from each story's card data.
        return super().get_queryset(request).with_cards()

    def get_changelist(self, request, **kwargs):
        return ArchiveChangeList

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        panels = (panel(request, obj) for panel in CHANGE_FORM_PANELS)
        context["story_panels"] = [html for html in panels if html]
        # The head of the form says where the story stands; its foot offers the steps the user may take.
        context["story_state"] = publishing_actions.state_line(obj)
        context["live_url"] = obj.get_absolute_url() if obj is not None and obj.is_public else None
        if add or self.has_change_permission(request, obj):
            context["publishing_offers"] = publishing_actions.offers(obj, request.user)
        context["desk_time_zone"] = settings.TIME_ZONE
        context["typed_preview_url"] = reverse("articles:preview", kwargs={"token": preview_token(obj)})
        form = context["adminform"].form
        if form.conflict is not None:
            context["conflict"] = {
                "by": display_name(form.conflict.updated_by),
                "at": publishing_actions.desk_time(form.conflict.updated_at),
                "version": form.conflict.edit_version,
                "fields": revisions.conflicts(form.conflict, form.data),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        own = [
            path(
                "schedule-line/",
                self.admin_site.admin_view(self.schedule_line_view),
                name="articles_article_schedule_line",
            ),
        ]
        return [*own, *topic_picker.urls(self), *super().get_urls()]

    def schedule_line_view(self, request):
        """The line "Schedule…" confirms with, for the date and time typed (in the desk's time zone),
        or why that time will be refused: in the past, or before the story's embargo (``article``)."""
        if not (self.has_publish_permission(request)):
            raise PermissionDenied
        field = ArticleAdminForm.base_fields["schedule_at"]
        parts = [request.GET.get("date", ""), request.GET.get("time", "")]
        try:
            moment = field.clean(parts)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        if moment is None or moment <= timezone.now():
            return JsonResponse({"error": "Choose a date and time in the future."}, status=400)
        story = request.GET.get("article", "")
        stories = Article.objects.filter(pk=int(story)) if story.isdigit() else Article.objects.none()
        embargo = stories.values_list("embargoed_until", flat=True).first()
        if embargo is not None and moment < embargo:
            return JsonResponse({"error": embargo_refusal(embargo)}, status=400)
        return JsonResponse({"line": publishing_actions.schedule_line(moment)})

    def response_add(self, request, obj, post_url_continue=None):
        self._say_outcome(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._say_outcome(request, obj)
        return super().response_change(request, obj)

    def _say_outcome(self, request, obj):
        """After a publishing action: say where the story now stands, and stay on its form to see it."""
        if request.POST.get("_action"):
            self.message_user(request, publishing_actions.outcome(obj), messages.SUCCESS)
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"

    def get_search_results(self, request, queryset, search_term):
        """Words through the search index, as the site's search reads them ("phrases", -not,
        prefix*), in every state, among the newest ``search.COUNT_BOUND`` matching stories, and a
        story's exact slug: Django's default, a substring match over every story's headline, dek
        and body, took 1.5 s at 100,000 stories on PostgreSQL, and unbounded, a common word took
        8 s at a million."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            found = search.matching(queryset, term)
        except BadRequest as error:
            self.message_user(request, str(error), messages.ERROR)
            return queryset.none(), False
        return found | queryset.filter(slug=term), False

    @admin.display(description="Authors")
    def byline(self, article):
        return ", ".join(author.name for author in article.byline_authors)

    @admin.display(description="State", ordering="status")
    def state(self, article):
        return article.state

    @admin.display(description="Embargo", ordering="embargoed_until")
    def embargo(self, article):
        """For an embargoed story, its time and what is left of it: "Tue 9 Dec 08:00 UTC · 2 h 15 min left",
        or "… · lifted"."""
        if article.embargoed_until is None:
            return None
        return f"{publishing_actions.desk_time(article.embargoed_until)} · {article.embargo_left}"

    @admin.display(description="Preview")
    def preview_link(self, article):
        if not article.pk:
            return "Save the article to get a preview link."
        url = reverse("articles:preview", kwargs={"token": preview_token(article)})
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" id="preview-link">Open the preview</a> '
            "(a private link; anyone who has it can read this version for 24 hours)",
            url,
        )

    def view_on_site(self, article):
        # Only a story readers can see gets a "View on site" link; a draft would just 404.
        return article.get_absolute_url() if article.is_public else None

    # Roles. Reporters write and send to review; editors also publish, schedule and unpublish.

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a fresh class per request, so this is not shared
        record = getattr(request, "revision_record", None)
        form.revision_parts = record.parts if record is not None else None
        form.restoring = record is not None
        return form

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not can_publish(request.user) and _is_published(obj):
            return False  # a reporter reads a published or scheduled story, but cannot change it
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not can_publish(request.user) and _is_published(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions and not can_publish(request.user):
            actions["delete_selected"] = (
                delete_unpublished_selected,
                "delete_selected",
                "Delete selected drafts",
            )
        return actions

    # Saving goes on to articles.publishing: the audit trail, and the announcement when the save
    # moved the story to, on or off the public site. The change form and the history revert both
    # come through save_model; only the change form saves inlines (save_related).

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        restoring = getattr(request, "restoring", None)
        if restoring is not None:
            when = publishing_actions.desk_time(restoring.history_date)
            obj._change_reason = f"Restored the version of {when}"
        else:
            obj._change_reason = form.cleaned_data.get("change_note") or None  # "what changed"
        obj.parts_kept_later = True  # revisions.keep_parts, once the form's parts are saved too
        super().save_model(request, obj, form, change)
        before = publishing.Before.of(form.stored)
        publishing.saved(obj, before=before, by=request.user, changes=form.changed_data)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        parts = {STORY_PART_OF_INLINE.get(formset.model) for formset in formsets if formset.has_changed()}
        if "tags" in form.changed_data:  # the topics field, saved with the form's many-to-many
            parts.add("tags")
        publishing.parts_changed(form.instance, by=request.user, parts=parts - {None})
        revisions.keep_parts(form.instance)  # the revision this save made, with its inlines saved

    # Deleting is how a desk takes a story down for legal reasons; the audit trail keeps a record
    # of who did, with the story's headline and slug.

    def delete_model(self, request, obj):
        publishing.delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        publishing.delete_many(queryset, by=request.user)

    # Bulk actions take the workflow's steps (articles.publishing), which check the permission again.

    @admin.action(description="Send to review", permissions=["change"])
    def send_to_review(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda article: publishing.send_to_review(article, by=request.user),
            "sent to review",
        )

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self._apply(
            request, queryset, lambda article: publishing.publish(article, by=request.user), "published"
        )

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._apply(
            request, queryset, lambda article: publishing.unpublish(article, by=request.user), "unpublished"
        )

    @admin.action(description="Schedule…", permissions=["publish"])
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            at = form.cleaned_data["publish_at"]
            self._apply(
                request,
                queryset,
                lambda article: publishing.publish(article, by=request.user, at=at),
                f"scheduled for {timezone.localtime(at):%d %b %Y %H:%M %Z}",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Schedule articles",
            "opts": self.model._meta,
            "articles": queryset,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/articles/article/schedule.html", context)

    def _apply(self, request, queryset, step, done):
        changed = 0
        for article in queryset:
            try:
                step(article)
            except WorkflowError as refusal:
                self.message_user(request, f"“{article.headline}”: {refusal}", messages.ERROR)
            else:
                changed += 1
        if changed:
            noun = "article" if changed == 1 else "articles"
            self.message_user(request, f"{changed} {noun} {done}.", messages.SUCCESS)


def _is_published(article):
    """Whether the saved article is published or scheduled. A revision being viewed carries its old
    status, so ask the database for the article as it stands."""
    if hasattr(article, "_history"):  # simple-history's mark on an instance rebuilt from a revision
        return Article.objects.released().filter(pk=article.pk).exists()
    return article.is_released


def delete_unpublished_selected(modeladmin, request, queryset):
    """Django's bulk delete, refused outright when a published or scheduled story is selected."""
    live = queryset.released()
    if live.exists():
        modeladmin.message_user(
            request,
            f"Only an editor can delete a published or scheduled article ({live.count()} selected). "
            "Nothing was deleted.",
            messages.ERROR,
        )
        return None
    return delete_selected(modeladmin, request, queryset)


@admin.register(PublicationEvent)
class PublicationEventAdmin(admin.ModelAdmin):
    """Who published, unpublished, scheduled or sent what to review, and when. Read-only."""

    list_display = ["at", "action", "story", "actor", "published_at"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["article", "actor"]
    search_fields = ["headline", "slug"]
    date_hierarchy = "at"

    @admin.display(description="Article", ordering="headline")
    def story(self, event):
        """The story as the record names it; a link while the story still exists."""
        if event.article_id is None:
            return format_html("{} <em>(deleted)</em>", event.headline)
        url = reverse("admin:articles_article_change", args=[event.article_id])
        return format_html('<a href="{}">{}</a>', url, event.headline)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__headline"]
    autocomplete_fields = ["article"]
