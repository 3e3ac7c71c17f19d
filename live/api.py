"""A live story's updates in the JSON API, for clients that poll: /api/live/<slug>/updates/.

Without ``since`` it pages through the published updates, newest first, 50 a page. With
``since`` (the ``last_change`` of the previous answer) it answers what changed after it: updates
published or corrected since, and the ids of those taken down since. When nothing changed, the
answer comes from the story's own row (its ``last_change_at``), one indexed query; through the
page cache an unchanged answer is a 304 to a client holding the ETag.
"""

from datetime import datetime

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from articles.addresses import absolute_url
from articles.api import ERRORS, api
from articles.feeds import with_absolute_addresses
from articles.models import Article
from articles.schemas import ARTICLE_SLUG, ArticleSlug
from live.models import LiveStory, RemovedUpdate
from live.pages import UPDATES_PER_PAGE

# At most this many changes in one answer to a poll: a client this far behind reloads the page.
CHANGES_LIMIT = 200

router = Router(tags=["live"])


class UpdatesQuery(Schema):
    since: datetime | None = Field(
        None,
        description=(
            "An ISO 8601 time, usually the previous answer's `last_change`: only what changed after it "
            "(updates published or corrected, and `removed` ids)."
        ),
    )
    page: int = Field(1, ge=1, le=100_000, description="Without `since`: the page of updates, 50 a page.")


class UpdateOut(Schema):
    id: int
    url: str = Field(description="The update's permalink on the story's page.")
    headline: str
    html: str = Field(description="The update's text, sanitised HTML.")
    summary: str = Field(description="The opening of its text, plain.")
    author: str | None
    pinned: bool
    published_at: datetime
    corrected_at: datetime | None
    correction: str


class UpdatesOut(Schema):
    story: str = Field(description="The story's slug.")
    url: str
    live: bool = Field(description="True while the coverage goes on.")
    started_at: datetime
    ended_at: datetime | None
    # A string, to the microsecond: JSON's datetimes stop at the millisecond, and a poll passing back
    # a rounded-down time would be sent the last update again.
    last_change: str = Field(
        description="An ISO 8601 time to the microsecond: pass it back as `since` on the next poll.",
        json_schema_extra={"format": "date-time"},
    )
    updates: list[UpdateOut]
    removed: list[int] = Field(description="With `since`: updates taken down since then.")
    more: bool = Field(description="With `since`: more changed than this answer holds; reload the page.")
    page: int
    next: str | None


def public_story(slug):
    """The live story at ``slug`` if a reader may see it, with its article: one query."""
    if not ARTICLE_SLUG.fullmatch(slug):
        raise Http404(f"No live story “{slug[:40]}”.")
    story = (
        LiveStory.objects.filter(article__in=Article.objects.published().filter(slug=slug).values("pk"))
        .select_related("article")
        .only("pk", "started_at", "ended_at", "last_change_at", "article__slug", "article__published_at")
        .first()
    )
    if story is None:
        raise Http404(f"No live story “{slug[:40]}”.")
    return story


def update_out(update, slug):
    return {
        "id": update.pk,
        "url": absolute_url(reverse("live:update", kwargs={"slug": slug, "pk": update.pk})),
        "headline": update.headline,
        "html": with_absolute_addresses(update.body_html),
        "summary": update.summary,
        "author": update.author.name if update.author else None,
        "pinned": update.pinned,
        "published_at": update.published_at,
        "corrected_at": update.corrected_at,
        "correction": update.correction,
    }


@router.get(
    "/{slug}/updates/",
    response={200: UpdatesOut, **ERRORS},
    url_name="live_updates",
    summary="A live story's updates",
    description=(
        "Newest first. Poll with `since` set to the previous answer's `last_change`: an unchanged "
        "story answers an empty list (or a 304 to a client sending the ETag)."
    ),
)
def live_updates(request, slug: ArticleSlug, params: Query[UpdatesQuery]):
    story = public_story(slug)
    answer = {
        "story": slug,
        "url": absolute_url(story.article.get_absolute_url()),
        "live": story.is_open_at(timezone.now()),
        "started_at": story.coverage_start,
        "ended_at": story.ended_at,
        "last_change": story.last_change_at.isoformat(),
        "updates": [],
        "removed": [],
        "more": False,
        "page": 1,
        "next": None,
    }
    published = story.updates.published().for_page()
    if params.since is not None:
        since = params.since if timezone.is_aware(params.since) else timezone.make_aware(params.since)
        if since >= story.last_change_at:
            return answer  # nothing new: the story's row said so
        changed = list(published.filter(changed_at__gt=since).newest_first()[: CHANGES_LIMIT + 1])
        removed = RemovedUpdate.objects.filter(story_pk=story.pk, removed_at__gt=since)
        answer.update(
            updates=[update_out(update, slug) for update in changed[:CHANGES_LIMIT]],
            removed=sorted(set(removed.values_list("update_id", flat=True)[:CHANGES_LIMIT])),
            more=len(changed) > CHANGES_LIMIT,
        )
        return answer
    paginator = Paginator(published.newest_first(), UPDATES_PER_PAGE)
    try:
        current = paginator.page(params.page)
    except EmptyPage:
        if params.page != 1:
            raise Http404(f"There is no page {params.page}; the last is {paginator.num_pages}.") from None
        current = paginator.page(1)
    answer.update(
        updates=[update_out(update, slug) for update in current.object_list],
        page=current.number,
        next=absolute_url(f"{request.path}?page={current.next_page_number()}")
        if current.has_next()
        else None,
    )
    return answer


def register():
    api.add_router("/live/", router)
