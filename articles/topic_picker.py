"""The article form's "Topics" field: one multi-select, typed into.

Without JavaScript it is a plain ``<select multiple>``. With it (the app's own
static/admin/js/topic_picker.js) it becomes a combobox: type, pick with the keyboard or the mouse,
type again. As the editor types, ``suggestions`` finds topics by their name and their aliases
("Uighur" offers Uyghurs) from TopicName's index; as the story is written,
``auto_tag_suggestions`` offers what the auto-tagger (articles/autotag.py) finds in the text so
far. Editors may create a topic from the field; reporters pick from the desk's vocabulary, and the
server refuses a new topic from them.

A value is a topic's id, or ``new:`` and a name for a topic to create when the story is saved.
"""

import threading
import time
from functools import partial

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from articles.autotag import Vocabulary
from articles.models import Tag, TopicName, can_publish
from articles.models.taxonomy import fold_topic_text

NEW = "new:"
SUGGESTIONS = 10
# Without JavaScript the select offers every topic while the vocabulary is at most this long; a
# larger one offers only the story's own (the picker's search is the way to the rest).
PLAIN_SELECT_LIMIT = 1000
QUERY_LENGTH = TopicName.KEY_LENGTH
# The text the auto-tagger reads per request: a long story's first 200,000 characters of each part.
TEXT_LENGTH = 200_000
# A process rebuilds its copy of the vocabulary for auto-tag suggestions at most this often (a tag
# saved in this process drops it at once); a topic added in another server process shows up in
# suggestions within this time.
VOCABULARY_SECONDS = 60


def suggestions(query, *, exclude=(), limit=SUGGESTIONS):
    """Up to ``limit`` topics for what has been typed: ``[{"id", "name", "alias"}]``, ``alias``
    the alias that matched when the name did not (else None). Names before aliases, a match at
    the start before one at a later word, then alphabetically; topics in ``exclude`` (ids) left
    out. One query on an index, whatever the size of the vocabulary."""
    key = fold_topic_text(query.strip())[:QUERY_LENGTH]
    if not key:
        return []
    rows = (
        TopicName.objects.filter(_starting_with(key))
        .exclude(tag__in=list(exclude))
        .order_by("rank", "key", "tag_id")
        .values_list("tag_id", "tag__name", "phrase", "rank")[: limit * 4]
    )
    found = {}
    for tag_id, name, phrase, rank in rows:
        if tag_id not in found:
            alias = phrase if rank >= TopicName.Rank.ALIAS else None
            found[tag_id] = {"id": tag_id, "name": name, "alias": alias}
    return list(found.values())[:limit]


def _starting_with(key):
    """TopicName rows whose key starts with ``key``, read from the index. PostgreSQL reads a prefix
    LIKE from the pattern-ops index whatever its collation; SQLite's LIKE ignores case and its index,
    so there the prefix is a range of the (binary-collated) keys."""
    if connection.vendor == "postgresql":
        return Q(key__startswith=key)
    return Q(key__gte=key, key__lt=key + "\U0010ffff")


def existing_topic(name):
    """The topic ``name`` already means, ignoring case: the one of that name, else the one with that
    alias (or None). For a typed name, so that "uighur" is Uyghurs and not a new topic."""
    key = fold_topic_text(name.strip())
    if not key:
        return None
    rows = TopicName.objects.filter(key=key, rank__in=[TopicName.Rank.NAME, TopicName.Rank.ALIAS])
    row = rows.select_related("tag").order_by("rank", "tag_id").first()
    return row.tag if row is not None else None


# The process's copy of the vocabulary: (Vocabulary, when loaded). Read-only once built, so the
# server's threads share it.
_copy = [None, 0.0]
_copy_lock = threading.Lock()


def _vocabulary():
    with _copy_lock:
        vocabulary, loaded = _copy
        if vocabulary is None or time.monotonic() - loaded > VOCABULARY_SECONDS:
            vocabulary = Vocabulary.load()
            _copy[:] = [vocabulary, time.monotonic()]
        return vocabulary


def forget_vocabulary(**kwargs):
    """Tag's post_save and post_delete: this process's auto-tag vocabulary is out of date."""
    _copy[:] = [None, 0.0]


def auto_tag_suggestions(headline, dek, body, *, exclude=()):
    """The topics the auto-tagger finds in the story so far, ``[{"id", "name"}]`` in order of
    first appearance, without those in ``exclude`` (ids)."""
    texts = (text[:TEXT_LENGTH] for text in (headline, dek, body))
    chosen = set(exclude)
    found = _vocabulary().tags_for(*texts)
    return [{"id": tag.pk, "name": tag.name} for tag in found if tag.pk not in chosen]


# The form field and its widget.


class TopicPicker(forms.SelectMultiple):
    """A ``<select multiple>`` of the story's topics (and, for a small vocabulary, every topic),
    in a wrapper whose data attributes tell the script where to ask for suggestions."""

    can_create = False

    class Media:
        js = ["admin/js/topic_picker.js"]
        css = {"all": ["admin/css/topic_picker.css"]}

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        values = (str(item.pk) if isinstance(item, Tag) else str(item) for item in value)
        return [item for item in values if item not in ("", "None")]

    def optgroups(self, name, value, attrs=None):
        self.choices = _choices(value)
        return super().optgroups(name, value, attrs)

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        return format_html(
            '<div class="topic-picker" data-suggest-url="{}" data-auto-tag-url="{}" data-can-create="{}" '
            'data-new-prefix="{}">{}</div>',
            reverse("admin:articles_article_topics"),
            reverse("admin:articles_article_topics_auto_tag"),
            "true" if self.can_create else "false",
            NEW,
            select,
        )


def _choices(values):
    """The select's options: the chosen topics in the order chosen, then, for a vocabulary small
    enough to list, every other topic by name."""
    ids = [int(value) for value in values if value.isdigit()]
    names = dict(Tag.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    chosen = []
    for value in values:
        if value.isdigit() and int(value) in names:
            chosen.append((value, names[int(value)]))
        elif value.startswith(NEW) and value[len(NEW) :].strip():
            chosen.append((value, f"{value[len(NEW) :].strip()} (new topic)"))
    others = Tag.objects.exclude(pk__in=ids).order_by("name").values_list("pk", "name")
    rest = list(others[: PLAIN_SELECT_LIMIT + 1])
    if len(rest) + len(ids) > PLAIN_SELECT_LIMIT:
        rest = []
    return chosen + [(str(pk), name) for pk, name in rest]


class TopicsField(forms.Field):
    """The story's topics. Cleans to a list of Tag objects and, where an editor created one, the
    new topic's name (a string): what ``article.tags.set()`` takes, so the ModelForm's save writes
    the TaggedArticle rows (and taggit creates the new topics) like any other many-to-many."""

    widget = TopicPicker
    can_create = False  # set per request by ``bind``

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Topics")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Type a topic’s name or another name for it, then Enter or a click picks it; Backspace in the "
            "empty box takes off the last one. Topics the text suggests are offered below the box.",
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return list(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))

    def clean(self, value):
        values = self.to_python(value)
        ids, new_names = [], []
        for item in values:
            if item.isdigit():
                ids.append(int(item))
            elif item.startswith(NEW) and item[len(NEW) :].strip():
                new_names.append(" ".join(item[len(NEW) :].split()))
            else:
                raise ValidationError(f"“{item}” is not a topic: pick one from the list.", code="not_a_topic")
        found = Tag.objects.in_bulk(ids)
        if len(found) < len(set(ids)):
            raise ValidationError(
                "A topic you picked has been deleted since the form was opened: pick the topics again.",
                code="deleted_topic",
            )
        chosen = [found[pk] for pk in ids]
        to_create = []
        for name in new_names:
            # A topic written without save() (a raw update, a fixture) may not be in the index: on
            # saving, ask its table too, so a typed name never makes a second topic of that name.
            known = existing_topic(name) or Tag.objects.filter(name__iexact=name).order_by("pk").first()
            if known is not None:
                if known not in chosen:
                    chosen.append(known)
            elif name.casefold() not in {other.casefold() for other in to_create}:
                to_create.append(name)
        if to_create and not self.can_create:
            listed = ", ".join(f"“{name}”" for name in to_create)
            raise ValidationError(
                f"Only an editor can create a topic, and {listed} is not in the desk’s vocabulary. "
                "Pick an existing topic, or ask an editor to add it. Nothing has been saved.",
                code="topic_not_in_vocabulary",
            )
        limit = Tag._meta.get_field("name").max_length
        too_long = [name for name in to_create if len(name) > limit]
        if too_long:
            raise ValidationError(f"A topic’s name has at most {limit} characters: “{too_long[0][:40]}…”.")
        return chosen + to_create

    def has_changed(self, initial, data):
        before = set(self.widget.format_value(initial))
        return before != set(self.to_python(data))


def bind(form):
    """Give ``form``'s topics field its user's rights: editors may create topics."""
    field = form.fields.get("tags")
    if isinstance(field, TopicsField):
        field.can_create = field.widget.can_create = form.user is None or can_publish(form.user)


# The JSON endpoints, under the article admin (ArticleAdmin.get_urls).


def urls(model_admin):
    site = model_admin.admin_site
    return [
        path(
            "topics/",
            site.admin_view(partial(suggest_view, model_admin=model_admin)),
            name="articles_article_topics",
        ),
        path(
            "topics/auto-tag/",
            site.admin_view(partial(auto_tag_view, model_admin=model_admin)),
            name="articles_article_topics_auto_tag",
        ),
    ]


def _check_may_write(model_admin, request):
    """Whoever may write a story may ask (admin_view has already required a staff member)."""
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
        raise PermissionDenied


def _ids(values):
    return [int(value) for value in values[:500] if value.isdigit()]


@require_GET
def suggest_view(request, *, model_admin):
    """``?q=uigh&exclude=3&exclude=7``: ``{"results": [...], "create": name or null}``; ``create``
    is what the typist may make a new topic of (editors, when no topic is or has that name)."""
    _check_may_write(model_admin, request)
    query = " ".join(request.GET.get("q", "").split())[:QUERY_LENGTH]
    results = suggestions(query, exclude=_ids(request.GET.getlist("exclude")))
    create = None
    if query and can_publish(request.user) and existing_topic(query) is None:
        create = query
    return JsonResponse({"results": results, "create": create})


@require_POST
def auto_tag_view(request, *, model_admin):
    """POST ``headline``, ``dek``, ``body`` and the chosen ids (``exclude``): ``{"results": [...]}``,
    the auto-tagger's topics for that text not chosen yet."""
    _check_may_write(model_admin, request)
    data = request.POST
    results = auto_tag_suggestions(
        data.get("headline", ""),
        data.get("dek", ""),
        data.get("body", ""),
        exclude=_ids(data.getlist("exclude")),
    )
    return JsonResponse({"results": results})
