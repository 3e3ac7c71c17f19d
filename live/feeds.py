"""A live story's updates as RSS 2.0 and Atom: the newest 50 published ones, each with its own GUID
and its permalink, its text as HTML with full addresses."""

import copy
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.decorators import method_decorator

from articles.addresses import absolute_url
from articles.feeds import HubLinked, XmlSafeFeed, with_absolute_addresses
from articles.models import Article
from articles.revalidation import revalidated
from live.models import LiveStory

FEED_LENGTH = 50


class UpdatesRss(HubLinked, XmlSafeFeed, feedgenerator.Rss201rev2Feed):
    pass


class UpdatesAtom(HubLinked, XmlSafeFeed, feedgenerator.Atom1Feed):
    pass


class LiveUpdatesFeed(Feed):
    feed_type = UpdatesRss

    @method_decorator(revalidated)
    def __call__(self, request, *args, **kwargs):
        feed = copy.copy(self)  # one instance serves every request: keep the request on a copy
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def get_object(self, request, slug):
        story = (
            LiveStory.objects.filter(article__in=Article.objects.published().filter(slug=slug).values("pk"))
            .select_related("article")
            .first()
        )
        if story is None:
            raise Http404("No such live story.")
        return story

    def items(self, story):
        return list(story.updates.published().for_page().newest_first()[:FEED_LENGTH])

    def title(self, story):
        return f"{settings.NEWSROOM_SITE_NAME} live: {story.article.headline}"

    def link(self, story):
        return absolute_url(story.article.get_absolute_url())

    def feed_url(self, story):
        return absolute_url(self.request.path)

    def description(self, story):
        state = "ended" if story.ended_at else "as they come"
        return f"Updates on “{story.article.headline}”, {state}."

    def item_title(self, update):
        return update.headline or update.summary

    def item_description(self, update):
        text = with_absolute_addresses(update.body_html)
        if update.corrected_at:
            note = f" {update.correction}" if update.correction else ""
            text += f"<p><em>Corrected {update.corrected_at:%Y-%m-%d %H:%M %Z}.{note}</em></p>"
        return text

    def item_link(self, update):
        return absolute_url(reverse("live:update", kwargs={"slug": self._story_slug, "pk": update.pk}))

    def get_feed(self, obj, request):
        self._story_slug = obj.article.slug
        return super().get_feed(obj, request)

    def item_guid(self, update):
        host = settings.NEWSROOM_ID_AUTHORITY or urlsplit(settings.NEWSROOM_SITE_URL).hostname
        return f"tag:{host},{update.created_at:%Y-%m-%d}:live-update:{update.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, update):
        return update.published_at

    def item_updateddate(self, update):
        return update.corrected_at or update.published_at

    def item_author_name(self, update):
        return update.author.name if update.author else None


class LiveUpdatesAtomFeed(LiveUpdatesFeed):
    feed_type = UpdatesAtom

    def subtitle(self, story):
        return self.description(story)

    def author_name(self, story):
        return settings.NEWSROOM_SITE_NAME
