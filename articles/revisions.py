"""Revisions that cover the whole story.

simple-history keeps a story's fields with each save (Article.history); this module keeps its parts
beside them (``parts`` on each revision: topics, byline, corrections, and what later apps register,
such as photos' lead image), restores them with the fields, and words the difference between two
revisions the way an editor reads it: changed words marked inside a paragraph.
"""

import difflib
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from articles import cards
from articles.models import Article, ArticleAuthor, Author, Correction, Section, Status, Tag, TaggedArticle


@dataclass(frozen=True)
class Part:
    """A part of a story kept with each revision: ``snapshot(article)`` gives it as JSON, ``restore(article,
    value)`` puts it back (returning what could not be, in words), ``describe(value)`` words it."""

    name: str
    label: str
    snapshot: object
    restore: object
    describe: object
    announced_as: str  # its name in articles.publishing's story_changed


PARTS = {}


def register_part(name, *, label, snapshot, restore, describe, announced_as=None):
    """The hook for an app beside articles to keep its part of a story with each revision."""
    PARTS[name] = Part(name, label, snapshot, restore, describe, announced_as or name)


# Taking and keeping parts.


def snapshot(article):
    return {name: part.snapshot(article) for name, part in PARTS.items()}


def keep_parts(article, note=None):
    """Store the story's parts as they stand now on its newest revision (after the change form has
    saved its inlines, which come after the row), with the editor's note when given."""
    newest = article.history.order_by("-history_date", "-history_id").values_list("history_id", flat=True)[:1]
    values = {"parts": snapshot(article)}
    if note:
        values["history_change_reason"] = note
    Article.history.filter(history_id__in=list(newest)).update(**values)


def parts_on_create(sender, instance, history_instance, **kwargs):
    """simple-history's pre_create_historical_record: every revision made by a save gets the parts
    as they stand. The admin's saves mark the story ``parts_kept_later``: they store the parts once,
    after the inlines and the topics are saved (keep_parts)."""
    if isinstance(instance, Article) and instance.pk and not getattr(instance, "parts_kept_later", False):
        history_instance.parts = snapshot(instance)


def restore(article, record, *, by):
    """Put back ``record``'s parts on ``article`` (its fields are restored by the revert form).
    Returns the parts that changed and a list of what could not be restored, in words."""
    from articles import publishing

    if record.parts is None:
        return set(), [
            "This revision was written by an import or before revisions kept topics and bylines: "
            "its topics, byline, corrections and image were left as they are."
        ]
    now = snapshot(article)
    changed, problems = set(), []
    with transaction.atomic(), cards.batched():
        for name, part in PARTS.items():
            if name not in record.parts or record.parts[name] == now.get(name):
                continue
            problems += part.restore(article, record.parts[name]) or []
            changed.add(part.announced_as)
        cards.stories_changed([article.pk])
        publishing.parts_changed(article, by=by, parts=changed)
    return changed, problems


# The story's own parts.


def _topics(article):
    rows = TaggedArticle.objects.filter(content_object=article).select_related("tag").order_by("tag__name")
    return [[row.tag_id, row.tag.name] for row in rows]


def _restore_topics(article, value):
    wanted = {tag_id for tag_id, _ in value}
    existing = set(Tag.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    TaggedArticle.objects.filter(content_object=article).exclude(tag_id__in=existing).delete()
    have = set(TaggedArticle.objects.filter(content_object=article).values_list("tag_id", flat=True))
    for tag_id in sorted(existing - have):
        TaggedArticle.objects.create(content_object=article, tag_id=tag_id)
    return [f"The topic “{name}” no longer exists." for tag_id, name in value if tag_id not in existing]


def _bylines(article):
    rows = ArticleAuthor.objects.filter(article=article).select_related("author").order_by("position", "pk")
    return [[row.author_id, row.author.name] for row in rows]


def _restore_bylines(article, value):
    existing = set(Author.objects.filter(pk__in=[pk for pk, _ in value]).values_list("pk", flat=True))
    ArticleAuthor.objects.filter(article=article).delete()
    kept = [pk for pk, _ in value if pk in existing]
    for position, author_id in enumerate(kept):
        ArticleAuthor.objects.create(article=article, author_id=author_id, position=position)
    return [f"The author “{name}” no longer exists." for pk, name in value if pk not in existing]


def _corrections(article):
    rows = Correction.objects.filter(article=article).order_by("date", "pk")
    return [[row.date.isoformat(), row.text] for row in rows]


def _restore_corrections(article, value):
    from django.utils.dateparse import parse_datetime

    wanted = [(parse_datetime(date), text) for date, text in value]
    for correction in Correction.objects.filter(article=article):
        if (correction.date, correction.text) not in wanted:
            correction.delete()
    have = set(Correction.objects.filter(article=article).values_list("date", "text"))
    for date, text in wanted:
        if (date, text) not in have:
            Correction.objects.create(article=article, date=date, text=text)
    return []


def _names(value):
    return ", ".join(name for _, name in value) or "none"


def _describe_corrections(value):
    return " / ".join(text for _, text in value) or "none"


register_part(
    "topics", label="Topics", snapshot=_topics, restore=_restore_topics, describe=_names, announced_as="tags"
)
register_part(
    "bylines",
    label="Byline",
    snapshot=_bylines,
    restore=_restore_bylines,
    describe=_names,
    announced_as="authors",
)
register_part(
    "corrections",
    label="Corrections",
    snapshot=_corrections,
    restore=_restore_corrections,
    describe=_describe_corrections,
)


# Comparing two revisions.

# Fields an editor reads as text: their changes are marked word by word within each paragraph.
TEXT_FIELDS = (("headline", "Headline"), ("dek", "Standfirst"), ("body", "Body"), ("dateline", "Dateline"))
OTHER_FIELDS = (("slug", "Address (slug)"), ("featured", "Featured"))
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Change:
    label: str
    html: str


def word_diff(old, new):
    """``new`` against ``old`` as HTML, paragraph by paragraph: a changed paragraph shows its removed
    words in <del> and its added ones in <ins>; unchanged paragraphs are left out ("…")."""
    before, after = _paragraphs(old), _paragraphs(new)
    shown = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            shown.append(mark_safe('<p class="unchanged">…</p>'))
        else:
            shown += _paragraphs_diff(before[a1:a2], after[b1:b2])
    return mark_safe("".join(shown))


def _paragraphs_diff(old, new):
    """Changed paragraphs: each old one is paired, in order, with the first new one that is mostly
    the same text (its words then marked inside it); new ones passed over are added, old ones
    without a pair removed."""
    shown, j = [], 0
    for paragraph in old:
        match = next((k for k in range(j, len(new)) if _alike(paragraph, new[k])), None)
        if match is None:
            shown.append(format_html("<p><del>{}</del></p>", paragraph))
            continue
        shown += [format_html("<p><ins>{}</ins></p>", text) for text in new[j:match]]
        shown.append(_paragraph_diff(paragraph, new[match]))
        j = match + 1
    shown += [format_html("<p><ins>{}</ins></p>", text) for text in new[j:]]
    return shown


def _alike(old, new):
    return difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio() >= 0.5


def _paragraphs(text):
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n"))
    return [block.strip() for block in blocks if block.strip()]


def _paragraph_diff(old, new):
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[a1:a2])))
            continue
        if a1 < a2:
            out.append(f"<del>{escape(''.join(a[a1:a2]))}</del>")
        if b1 < b2:
            out.append(f"<ins>{escape(''.join(b[b1:b2]))}</ins>")
    return mark_safe(f"<p>{''.join(out)}</p>")


def compare(older, newer, sections=None):
    """What ``newer`` (a revision) changed from ``older``, as a list of Change; ``sections`` maps
    section ids to names (read once for a page of revisions)."""
    changes = []
    for name, label in TEXT_FIELDS:
        old, new = getattr(older, name) or "", getattr(newer, name) or ""
        if old != new:
            changes.append(Change(label, word_diff(old, new)))
    if older.section_id != newer.section_id:
        sections = sections or Section.objects.in_bulk([older.section_id, newer.section_id])
        old, new = _name(sections, older.section_id), _name(sections, newer.section_id)
        changes.append(Change("Section", _was_now(old, new)))
    if (older.status, older.published_at) != (newer.status, newer.published_at):
        changes.append(Change("State", _was_now(state_words(older), state_words(newer))))
    for name, label in OTHER_FIELDS:
        if getattr(older, name) != getattr(newer, name):
            changes.append(Change(label, _was_now(getattr(older, name), getattr(newer, name))))
    if older.parts is not None and newer.parts is not None:
        for name, part in PARTS.items():
            old, new = older.parts.get(name), newer.parts.get(name)
            if old != new:
                old, new = part.describe(old or []), part.describe(new or [])
                changes.append(Change(part.label, _was_now(old, new)))
    return changes


def parts_summary(record):
    """A revision's parts in words, for the page that restores it: [(label, words)]."""
    if record.parts is None:
        return []
    return [
        (part.label, part.describe(record.parts.get(name) or []))
        for name, part in PARTS.items()
        if name in record.parts
    ]


def state_words(record):
    from articles.publishing_actions import desk_time

    if record.status == Status.PUBLISHED and record.published_at:
        return f"Published for {desk_time(record.published_at)}"
    return Status(record.status).label if record.status in Status.values else record.status


def _name(sections, pk):
    section = sections.get(pk)
    return section.name if section is not None else "(deleted section)"


def _was_now(old, new):
    return format_html("<del>{}</del> → <ins>{}</ins>", old, new)


# Two people on one story: a refused stale save shows the saved version beside the typed one.


@dataclass(frozen=True)
class Conflict:
    label: str
    theirs: str
    yours: str
    html: str  # yours against theirs, words marked


def conflicts(stored, typed):
    """Where ``typed`` (the refused form's data) differs from ``stored`` (the story as saved now)."""
    found = []
    for name, label in TEXT_FIELDS:
        theirs = getattr(stored, name) or ""
        yours = (typed.get(name) or "").replace("\r\n", "\n")
        if theirs.strip() != yours.strip():
            found.append(Conflict(label, theirs, yours, word_diff(theirs, yours)))
    typed_section = typed.get("section") or ""
    typed_id = int(typed_section) if typed_section.isdigit() else 0
    if stored.section_id != typed_id:
        names = Section.objects.in_bulk([stored.section_id, typed_id])
        theirs, yours = _name(names, stored.section_id), _name(names, typed_id)
        found.append(Conflict("Section", theirs, yours, _was_now(theirs, yours)))
    return found
