"""A live story on the reader's pages, through articles' hooks (articles.page_extras, page scopes):
its badge and key points under the headline, its stream of updates below the story, its
schema.org ``LiveBlogPosting`` data, and a line for each open live story on the front page."""

import re

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from articles import caching, page_extras, page_keys
from articles.addresses import absolute_url
from articles.models import Article
from live.models import FRONT_PAGE_SCOPE, LiveStory, LiveUpdate, live_key

UPDATES_PER_PAGE = 50
FRONT_PAGE_LIVE_STORIES = 3
# Every page showing one story's updates: its page (all of its pages), its feeds and its updates in
# the API share the story's scope; "/" shows each open story's latest update.
_STORY_PATH = re.compile(r"^/(?:articles|feeds/live|api/live)/([^/]+)/")


def page_scope(path):
    if path == "/":
        return FRONT_PAGE_SCOPE
    found = _STORY_PATH.match(path)
    return live_key(found[1]) if found else None


def live_story_of(article):
    """The article's live story, read with it (``for_page``), or None."""
    try:
        return article.live
    except ObjectDoesNotExist:
        return None


def page_number(request):
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise Http404("No such page of updates.")
    return int(raw)


def stream(story, number):
    """(pinned updates, the page of the others) for page ``number``: pinned ones stand on the first
    page only. Three queries on the first page (pinned, count, page), two after."""
    published = story.updates.published().for_page()
    pinned = list(published.filter(pinned=True).newest_first()) if number == 1 else []
    paginator = Paginator(published.filter(pinned=False).newest_first(), UPDATES_PER_PAGE)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        if number == 1:
            return pinned, paginator.page(1)
        raise Http404("No such page of updates.") from None
    return pinned, page


def page_of(update):
    """The page of its story's stream ``update`` is on: pinned ones are on the first."""
    if update.pinned:
        return 1
    newer = (
        LiveUpdate.objects.published()
        .filter(story_id=update.story_id, pinned=False, published_at__gte=update.published_at)
        .exclude(published_at=update.published_at, pk__lte=update.pk)
        .count()
    )
    return newer // UPDATES_PER_PAGE + 1


def page_address(slug, page=1):
    """Page ``page`` of the story's updates."""
    path = reverse("articles:detail", kwargs={"slug": slug})
    return path if page == 1 else f"{path}?page={page}"


def update_address(slug, update_pk, page=1):
    """Where an update stands: its story's page (the right one) at the update's anchor."""
    return f"{page_address(slug, page)}#update-{update_pk}"


def article_extra(article, request):
    story = live_story_of(article)
    if story is None:
        return None
    now = timezone.now()
    number = page_number(request)
    pinned, page = stream(story, number)
    context = {
        "story": story,
        "is_open": story.is_open_at(now),
        "pinned": pinned,
        "page": page,
        "updates": list(page.object_list),
        "poll_url": reverse("api:live_updates", kwargs={"slug": article.slug}),
        "since": story.last_change_at.isoformat(),
        "feed_url": reverse("live:feed", kwargs={"slug": article.slug}),
        "atom_url": reverse("live:feed-atom", kwargs={"slug": article.slug}),
        "page_path": reverse("articles:detail", kwargs={"slug": article.slug}),
    }
    return page_extras.PageExtra(
        templates={"head": "live/head.html", "header": "live/header.html", "after_body": "live/stream.html"},
        context=context,
        graph=lambda blocks: live_blog_graph(blocks, article, story, [*pinned, *context["updates"]], number),
    )


def live_blog_graph(blocks, article, story, updates, number):
    """The page's NewsArticle, also a LiveBlogPosting with its coverage times and the updates shown."""
    posting, *others = blocks
    posting = {**posting, "@type": ["NewsArticle", "LiveBlogPosting"]}
    posting["coverageStartTime"] = story.coverage_start.isoformat()
    # The story changes with every update, not only when its own text does.
    posting["dateModified"] = max(article.updated_at, story.last_change_at).isoformat()
    if story.ended_at:
        posting["coverageEndTime"] = story.ended_at.isoformat()
    page_url = absolute_url(page_address(article.slug, number))
    posting["liveBlogUpdate"] = [blog_posting(update, page_url) for update in updates]
    return [posting, *others]


def blog_posting(update, page_url):
    entry = {
        "@type": "BlogPosting",
        "headline": (update.headline or update.summary)[:110],
        "articleBody": update.summary,
        "datePublished": update.published_at.isoformat(),
        "dateModified": (update.corrected_at or update.published_at).isoformat(),
        "url": f"{page_url}#{update.anchor()}",
    }
    if update.author:
        entry["author"] = {
            "@type": "Person",
            "name": update.author.name,
            "url": absolute_url(update.author.get_absolute_url()),
        }
    return entry


def front_page_extra(request):
    """The open live stories, newest first, each with its latest update: one query.

    Read from the live stories alone, their article's headline, address and time by its key: with
    the article joined in, SQLite walked the whole archive looking for the few live stories (80 ms
    a front page at 100,000 stories, none of them live).
    """
    article = Article.objects.filter(pk=OuterRef("pk"))
    latest = LiveUpdate.objects.published().filter(story=OuterRef("pk")).newest_first()
    stories = list(
        LiveStory.objects.public()
        .open_at(timezone.now())
        .only("pk", "ended_at")
        .annotate(
            headline=Subquery(article.values("headline")[:1]),
            slug=Subquery(article.values("slug")[:1]),
            published_at=Subquery(article.values("published_at")[:1]),
            latest_pk=Subquery(latest.values("pk")[:1]),
            latest_headline=Subquery(latest.values("headline")[:1]),
            latest_summary=Subquery(latest.values("summary")[:1]),
            latest_at=Subquery(latest.values("published_at")[:1]),
        )
        .order_by("-published_at", "-pk")[:FRONT_PAGE_LIVE_STORIES]
    )
    if not stories:
        return None
    # Read as live stories, not articles: the page names the stories it shows itself.
    page_keys.shows(*(page_keys.story(story.pk) for story in stories))
    for story in stories:
        story.latest_url = update_address(story.slug, story.latest_pk) if story.latest_pk else None
    return page_extras.PageExtra(templates={"top": "live/front.html"}, context={"stories": stories})


def register():
    page_extras.add_page_relation("live")
    page_extras.add_article_page_extra(article_extra)
    page_extras.add_front_page_extra(front_page_extra)
    caching.register_page_scope(page_scope)
