"""An update's permalink: the story's page it is on now, at its anchor."""

from django.http import Http404, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views import View

from articles.models import Article
from articles.revalidation import revalidated
from live.models import LiveUpdate
from live.pages import page_of, update_address


@method_decorator(revalidated, name="dispatch")
class UpdatePermalink(View):
    """/articles/<slug>/updates/<id>/: a redirect to the page of the story's stream that holds the
    update (newer ones push it onto older pages), at ``#update-<id>``. Gone or never public: 404."""

    def get(self, request, slug, pk):
        story_ids = Article.objects.published().filter(slug=slug).values("pk")
        update = LiveUpdate.objects.published().filter(pk=pk, story__in=story_ids).first()
        if update is None:
            raise Http404("No such update.")
        # Temporary: the page it is on changes as the story goes on.
        return HttpResponseRedirect(update_address(slug, update.pk, page_of(update)))
