"""Notes on a story: the desk talking to itself about a draft. Listed on the story's form, never
shown to readers, never exported."""

from django.contrib import admin
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from articles.models import Article, can_publish
from desk.models import Note

TEXT_FIELD = "desk_note_text"


def add(article, text, *, by):
    """Leave a note on ``article``, signed by ``by`` now."""
    return Note.objects.create(article=article, author=by, text=text, created_at=timezone.now())


def on(article):
    return list(Note.objects.filter(article=article).select_related("author"))


def signature(note):
    local = timezone.localtime(note.created_at)
    who = (note.author.get_full_name() or note.author.get_username()) if note.author else "a former user"
    return f"{who}, {local.day} {local:%b %Y %H:%M} {local.tzname()}"


def panel(request, article):
    """articles.admin's change-form panel: the story's notes, oldest first, and a box to add one.

    The panel sits inside the story's own form, and a form cannot hold another: its buttons post to
    the notes' own URLs (``formaction``), which read only their field and save nothing of the story,
    so adding a note is not a change to the story (no new version, no announcement, no cache purge).
    With script on (static/desk/notes.js) they post in the background and the list is redrawn, so
    unsaved changes to the story stay on the page.
    """
    if article is None or article.pk is None:
        return None
    get_token(request)  # the story's form carries the CSRF token these buttons send
    # Pressing Enter in a story's field submits the form's first submit button: the story's own Save
    # first (as at the foot of the form), so it is not one of the notes' buttons. A story the user
    # may only read has no Save, and no field to press Enter in.
    may_save = admin.site.get_model_admin(Article).has_change_permission(request, article)
    return format_html(
        '{}{}<script src="{}" defer></script>',
        mark_safe('<button type="submit" name="_save" hidden tabindex="-1" aria-hidden="true"></button>')
        if may_save
        else "",
        notes_box(request, article),
        static("desk/notes.js"),
    )


def notes_box(request, article, error=""):
    """The notes' own box: their list, the box to add one, and ``error``, what was refused."""
    editor = can_publish(request.user)
    rows = format_html_join(
        "",
        '<li class="desk-note" id="desk-note-{}"><p class="desk-note__text">{}</p>'
        '<p class="desk-note__by">{}{}</p></li>',
        (
            (
                note.pk,
                note.text,
                signature(note),
                format_html(
                    ' <button type="submit" class="button desk-note__delete" formaction="{}" '
                    'formmethod="post" formnovalidate>Delete</button>',
                    reverse("desk:note_delete", args=[note.pk]),
                )
                if note.may_be_deleted_by(request.user, editor=editor)
                else "",
            )
            for note in on(article)
        ),
    )
    return format_html(
        '<fieldset class="module aligned desk-notes" id="desk-notes"><h2>Notes for the desk</h2>'
        '<p class="help">Not shown to readers, not exported.</p>'
        '<ol class="desk-notes__list">{}</ol>'
        '<p class="errornote desk-notes__error" role="alert"{}>{}</p>'
        '<div class="form-row"><label for="id_{}">Add a note</label> '
        '<textarea name="{}" id="id_{}" rows="2" cols="60" maxlength="2000"></textarea> '
        '<button type="submit" class="button desk-notes__add" formaction="{}" formmethod="post" '
        "formnovalidate>Add note</button>"
        "</div></fieldset>",
        rows or mark_safe('<li class="desk-note desk-note--none">No notes yet.</li>'),
        "" if error else mark_safe(" hidden"),
        error,
        TEXT_FIELD,
        TEXT_FIELD,
        TEXT_FIELD,
        reverse("desk:note_add", args=[article.pk]),
    )
