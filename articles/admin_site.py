"""The admin site, whose index page is the editor's day."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

EDITORS_DAY_ROWS = 10
RECENT = timedelta(days=2)


class NewsroomAdminSite(admin.AdminSite):
    site_header = "Newsroom"
    site_title = "Newsroom admin"
    index_title = "The desk today"
    index_template = "admin/newsroom_index.html"

    def index(self, request, extra_context=None):
        context = {"editors_day": editors_day(request.user), **(extra_context or {})}
        return super().index(request, context)


def editors_day(user):
    """What needs a look: the review queue, the schedule, what went out lately, and the user's drafts."""
    from articles.models import Article

    if not user.has_perm("articles.view_article"):
        return None
    articles = Article.objects.select_related("section", "updated_by")
    return {
        "in_review": list(articles.in_review().order_by("updated_at")[:EDITORS_DAY_ROWS]),
        "scheduled": list(articles.scheduled().order_by("published_at")[:EDITORS_DAY_ROWS]),
        "recently_published": list(
            articles.published()
            .filter(published_at__gte=timezone.now() - RECENT)
            .newest_first()[:EDITORS_DAY_ROWS]
        ),
        "my_drafts": list(
            articles.drafts().filter(created_by=user).order_by("-updated_at")[:EDITORS_DAY_ROWS]
        ),
    }
