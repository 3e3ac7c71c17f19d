"""The admin's article form: the workflow rules and the edit-conflict check, on the server."""

import copy

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles import pictures, publishing_actions, rendering, topic_picker
from articles.models import Article, SlugRedirect, Status, WorkflowError, can_publish
from articles.topic_picker import TopicsField

# Fields only editors may set; reporters see them, disabled.
EDITOR_ONLY_FIELDS = ("published_at", "featured", "embargoed_until")


def display_name(user):
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


class ExactHiddenDateTime(forms.SplitHiddenDateTimeWidget):
    """A time carried through the form to the microsecond, so a plain Save gives it back exactly as
    stored (Django's split widgets drop the microseconds)."""

    supports_microseconds = True

    def __init__(self, attrs=None):
        super().__init__(attrs, time_format="%H:%M:%S.%f")


class ArticleAdminForm(forms.ModelForm):
    # The article's edit_version when the form was opened; a different one in the database means someone
    # else saved in between.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The story's topics: one field typed into (articles/topic_picker.py), saved as taggit's tags.
    tags = TopicsField()
    # The time "Schedule…" publishes at, typed in the desk's time zone (Django's current one).
    schedule_at = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        label="Publish at",
    )
    # Kept with the revision this save makes ("what changed"), for the story's history.
    change_note = forms.CharField(
        required=False,
        max_length=500,
        label="What changed",
        help_text="Optional: a line for the story's history, e.g. “Added the minister's reply”.",
    )

    user = None  # set by ArticleAdmin.get_form for the request's user
    conflict = None  # the story as saved by someone else since this form was opened, when it was
    revision_parts = None  # set by ArticleAdmin.get_form on the page restoring a revision
    restoring = False  # set by ArticleAdmin.get_form: True on the page restoring a revision

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 - the admin narrows it to its fieldsets
        # Set by the form's action buttons (articles/publishing_actions.py), carried as they stand so
        # a plain Save keeps the story where it is.
        widgets = {
            "status": forms.HiddenInput,
            "published_at": ExactHiddenDateTime,
        }
        help_texts = {
            "body": "Markdown. To show a picture from the picture desk, write "
            '![alt text](photo:ID "caption") on a line of its own, with the picture’s number as ID; '
            "leave the alt text or the caption empty to use the picture desk’s.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = None
        zone = settings.TIME_ZONE  # named where it is read, as tests and deployments set it
        self.fields["schedule_at"].label = f"Publish at ({zone})"
        self.fields["schedule_at"].help_text = f"Date and time in {zone}, the desk's time zone."
        if "embargoed_until" in self.fields:
            self.fields["embargoed_until"].label = f"Embargoed until ({zone})"
        if self.restoring and self.instance.pk and not self.is_bound:
            # An embargo is the desk's agreement with a source as it stands now, not part of an old
            # version's text: restoring a version keeps it (an editor may still change it here).
            self.initial["embargoed_until"] = (
                Article.objects.filter(pk=self.instance.pk).values_list("embargoed_until", flat=True).first()
            )
        if not self.is_bound and self.instance.pk:
            # From the saved row, not the instance: when restoring a revision the instance is the
            # old revision, and the check is against what is saved now.
            self.initial["opened_version"] = (
                Article.objects.filter(pk=self.instance.pk).values_list("edit_version", flat=True).first()
            )
        topic_picker.bind(self)  # editors may create topics, reporters pick
        topics = (self.revision_parts or {}).get("topics")
        if not self.is_bound and topics is not None:
            self.initial["tags"] = [tag_id for tag_id, _ in topics]  # the revision's, as it restores them
        if self.user is not None and not can_publish(self.user):
            self._limit_to_reporter()

    def _limit_to_reporter(self):
        stored = Article.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        if stored is not None:
            # Restoring a revision keeps what only an editor may set as it is now: a reporter's
            # restore never publishes, schedules or features anything.
            for name in EDITOR_ONLY_FIELDS:
                self.initial[name] = getattr(stored, name)
            if self.initial.get("status") == Status.PUBLISHED:
                self.initial["status"] = stored.status
        for name in (*EDITOR_ONLY_FIELDS, "schedule_at"):
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Set by an editor."
        if "status" in self.fields:
            # The widget offers what a reporter may choose; the field still accepts "published",
            # so a forged POST reaches the workflow check and gets a message, not a bare choice error.
            self.fields["status"].widget.choices = [
                (value, label) for value, label in Status.choices if value != Status.PUBLISHED
            ]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        held = SlugRedirect.held_for_another(slug, self.instance)
        if held is None:
            return slug
        if self.user is not None and can_publish(self.user):
            # Editors are refused too rather than freeing the address as a side effect of this
            # save: freeing it sends the other story's inbound links nowhere, so it is a step of
            # its own (deleting the redirect, which the admin logs), and the model keeps one rule
            # for every path.
            raise ValidationError(
                f"{held.owner_phrase()}, and its old links still lead there. To give the address to "
                "this story, first delete it under “Slug redirects”.",
                code="slug_held",
            )
        raise ValidationError(f"{held.owner_phrase()}; only an editor can free it.", code="slug_held")

    def clean_body(self):
        body = self.cleaned_data["body"]
        named = rendering.picture_ids(body)
        missing = sorted(named - set(pictures.pictures_by_id(sorted(named)))) if named else []
        if missing:
            listed = ", ".join(f"photo:{picture_id}" for picture_id in missing)
            raise ValidationError(
                f"The body shows {listed}, which the picture desk does not have. Check the number "
                "in the picture desk, or take the picture out of the body.",
                code="unknown_picture",
            )
        return body

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_not_stale(cleaned.get("opened_version"))
        self._refuse_forged_editor_fields()
        self._apply_action(cleaned)
        if cleaned.get("status") == Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = timezone.now()  # "Published" with no time means now
        return cleaned

    def _apply_action(self, cleaned):
        """The button pressed (Save draft, Send to review, Publish now, Schedule…, Unpublish) sets the
        status and publication time; with none (Save) they stay as the form holds them."""
        self.action = self.data.get("_action", "")
        if not self.action:
            return
        if self.action not in publishing_actions.Action.values:
            self.add_error(None, "That is not an action this form offers.")
            return
        problem = publishing_actions.apply(self.action, cleaned, schedule_at=cleaned.get("schedule_at"))
        if problem:
            scheduling = self.action == publishing_actions.Action.SCHEDULE
            self.add_error("schedule_at" if scheduling else None, problem)

    def _check_not_stale(self, opened_version):
        rows = Article.objects.select_related("updated_by").filter(pk=self.instance.pk)
        if transaction.get_connection().in_atomic_block:
            rows = rows.select_for_update(of=("self",))  # hold the row until this save commits
        self.stored = rows.first()
        if self.stored is None or opened_version == self.stored.edit_version:
            return
        if str(self.stored.edit_version) == self.data.get("_overwrite_version"):
            # "Save mine over theirs", pressed having seen the version saved now: the text is the
            # user's, but the state (carried in hidden fields since the form was first opened) is
            # the saved one unless an action button says otherwise, so a stale form never silently
            # unpublishes or reschedules what the other person published.
            self.cleaned_data.update(status=self.stored.status, published_at=self.stored.published_at)
            return
        self.conflict = self.stored  # shown beside what was typed (ArticleAdmin.render_change_form)
        when = timezone.localtime(self.stored.updated_at)
        raise ValidationError(
            f"This article was changed by {display_name(self.stored.updated_by)} at {when:%H:%M:%S} "
            f"{when:%Z} on {when:%d %b %Y} since you opened it. Nothing was saved, and nothing you "
            "typed is lost: it is still in the form. Their version is shown beside yours below.",
            code="edit_conflict",
        )

    def _refuse_forged_editor_fields(self):
        """Refuse a POST that carries a different value for a field the reporter sees disabled.

        A disabled field's value is always the one the form was given (for a saved article, the
        database's: see _limit_to_reporter). A browser never submits a disabled field, so one that
        is absent from the POST is unchanged, not cleared: reading an absent checkbox as "off" or an
        absent time as "none" kept reporters from saving drafts an editor had featured or timed.
        """
        for name in EDITOR_ONLY_FIELDS:
            field = self.fields.get(name)
            if field is None or not field.disabled or not self._submitted(field, name):
                continue
            submitted = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            probe = copy.deepcopy(field)
            probe.disabled = False  # a disabled field always says "unchanged"; ask the enabled twin
            if probe.has_changed(self.get_initial_for_field(field, name), submitted):
                self.add_error(None, f"Only an editor can change “{field.label}”.")

    def _submitted(self, field, name):
        """Whether the POST carries any part of ``name`` (a split date and time has two parts)."""
        key = self.add_prefix(name)
        parts = getattr(field.widget, "widgets_names", [""])
        return any(key + part in self.data for part in parts)

    def _post_clean(self):
        super()._post_clean()  # copies the cleaned values onto self.instance
        if self.user is None or self.errors:
            return
        stored = self.stored
        if stored is None and self.instance.pk:
            stored = Article.objects.filter(pk=self.instance.pk).first()
        try:
            self.instance.check_change_allowed(self.user, stored)
        except WorkflowError as refusal:
            self.add_error(None, str(refusal))


class ScheduleForm(forms.Form):
    publish_at = forms.SplitDateTimeField(label="Publish at", widget=AdminSplitDateTime)

    def clean_publish_at(self):
        value = self.cleaned_data["publish_at"]
        if value <= timezone.now():
            raise ValidationError("Choose a time in the future; to publish now, use “Publish now”.")
        return value
