"""The desk's requests from a story's form: leaving and deleting notes, and the presence heartbeat.
Each is an admin view (signed-in staff, CSRF-checked) and asks the admin whether the user may see
the story."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles.models import Article, can_publish
from desk import notes, presence
from desk.models import Note


def _story_for(request, pk):
    """The story, if this user may open it in the admin; 404 otherwise, as the admin answers."""
    article = Article.objects.filter(pk=pk).only("pk", "headline", "status", "published_at").first()
    if article is None or not admin.site.get_model_admin(Article).has_view_permission(request, article):
        raise Http404("No such story.")
    return article


# notes.js asks for the notes' box back instead of the story's page, to redraw it in place.
FRAGMENT_HEADER = "X-Desk-Notes"


def _answer(request, article, done="", refused=""):
    """The notes' box for notes.js; the story's form again, with a message, for a plain post."""
    if request.headers.get(FRAGMENT_HEADER) == "box":
        return HttpResponse(notes.notes_box(request, article, refused), status=400 if refused else 200)
    if refused:
        messages.error(request, refused)
    else:
        messages.success(request, done)
    return redirect(reverse("admin:articles_article_change", args=[article.pk]) + "#desk-notes")


@require_POST
def add_note(request, pk):
    article = _story_for(request, pk)
    text = request.POST.get(notes.TEXT_FIELD, "").strip()
    if not text:
        return _answer(request, article, refused="The note is empty: write something before adding it.")
    if len(text) > Note._meta.get_field("text").max_length:
        return _answer(
            request,
            article,
            refused="A note is at most 2,000 characters; this one is longer. Nothing was added.",
        )
    notes.add(article, text, by=request.user)
    return _answer(request, article, done="Note added. Only the desk sees it.")


@require_POST
def delete_note(request, pk):
    note = get_object_or_404(Note.objects.select_related("article"), pk=pk)
    article = _story_for(request, note.article_id)
    if not note.may_be_deleted_by(request.user, editor=can_publish(request.user)):
        raise PermissionDenied("Only its author or an editor may delete a note.")
    note.delete()
    return _answer(request, article, done="Note deleted.")


@require_POST
def heartbeat(request, pk):
    """The form is still open: record it, and answer who else has the story open."""
    article = _story_for(request, pk)
    now = timezone.now()
    presence.record(article, request.user, now)
    others = presence.others(article, request.user, now)
    return JsonResponse(
        {
            "others": [
                {
                    "name": p.user.get_full_name() or p.user.get_username(),
                    "opened_at": p.opened_at.isoformat(),
                    "seen_at": p.seen_at.isoformat(),
                    "text": presence.describe(p, now),
                }
                for p in others
            ]
        }
    )


@require_POST
def leave(request, pk):
    """The tab closed (navigator.sendBeacon on pagehide): the user no longer has the story open."""
    presence.leave(_story_for(request, pk), request.user)
    return HttpResponse(status=204)
