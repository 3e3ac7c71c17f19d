"""The story admin's revisions (articles/revisions.py): each keeps the story's parts, the history page
words each change word by word, and restoring one brings back its fields and its parts together."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404

from articles import cards, publishing_actions, revisions
from articles.models import Article, Section


class StoryRevisionsAdmin:
    """Mixed into ArticleAdmin, ahead of simple-history's SimpleHistoryAdmin."""

    object_history_template = "admin/articles/article/history.html"
    object_history_list_template = "admin/articles/article/history_list.html"
    object_history_form_template = "admin/articles/article/history_form.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        if not records:
            return
        oldest_shown = records[-1].prev_record  # one query: the revision before this page's last
        pairs = list(zip(records, [*records[1:], oldest_shown], strict=True))
        section_ids = {r.section_id for r in records} | ({oldest_shown.section_id} if oldest_shown else set())
        sections = Section.objects.in_bulk(section_ids)
        for newer, older in pairs:
            newer.story_changes = revisions.compare(older, newer, sections) if older else []
            newer.state_words = revisions.state_words(newer)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        record = get_object_or_404(Article.history.model, id=unquote(object_id), history_id=version_id)
        request.revision_record = record
        # simple-history saves a posted revert after checking only the view permission.
        if request.method == "POST":
            article = self.get_object(request, unquote(object_id))
            if article is None or not self.has_change_permission(request, article):
                raise PermissionDenied
            request.restoring = record
        context = {"revision_parts": revisions.parts_summary(record), **(extra_context or {})}
        # A revert, like the change form, refreshes the card once; its fields and parts go together.
        with transaction.atomic(), cards.batched():
            response = super().history_form_view(request, object_id, version_id, context)
            if request.method == "POST" and response.status_code == 302:
                article = Article.objects.get(pk=record.id)
                _, problems = revisions.restore(article, record, by=request.user)
                revisions.keep_parts(article)
                restored = ", ".join(label.lower() for label, _ in revisions.parts_summary(record))
                self.message_user(
                    request,
                    f"Restored the version of {publishing_actions.desk_time(record.history_date)}: its "
                    f"text{', ' + restored if restored else ''}.",
                    messages.SUCCESS,
                )
                for problem in problems:
                    self.message_user(request, problem, messages.WARNING)
        return response
