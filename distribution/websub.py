"""WebSub (W3C): tell the hub which feeds changed, so feed readers subscribed through it update in
seconds instead of at their next poll. The feeds name the hub themselves (articles/feeds.py).

Only the worker talks to the hub: the signals queue a task, and a hub that is down or failing is
tried again later (distribution.tasks.retried); an editor's request never waits for it.
"""

import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.urls import reverse

from articles.addresses import absolute_url
from distribution.tasks import retried

# The hub answers a publish ping at once (it fetches the feed later): a hub slower than this is down.
TIMEOUT = 5


class HubError(Exception):
    pass


def feeds_of(article):
    """The absolute URLs of every feed ``article`` appears in: the latest stories, its section's,
    each of its topics' and each of its authors', RSS and Atom (only the first two for a deleted
    story)."""
    routes = [("articles:feed-latest", None)]
    if article.section_id:
        routes.append(("articles:feed-section", article.section.slug))
    # A deleted story (story_unpublished, deleted=True) has lost its id and its tag and byline rows.
    if article.pk is not None:
        routes += [("articles:feed-tag", slug) for slug in article.tags.values_list("slug", flat=True)]
        routes += [("articles:feed-author", slug) for slug in article.authors.values_list("slug", flat=True)]
    urls = []
    for name, slug in routes:
        kwargs = {"slug": slug} if slug else {}
        urls += [absolute_url(reverse(route, kwargs=kwargs)) for route in (name, f"{name}-atom")]
    return urls


@retried
def ping_hub(feed_urls):
    """POST ``hub.mode=publish`` for each feed URL to the hub; raise ``HubError`` when the hub is
    unreachable or answers anything but 2xx (the task is then tried again later)."""
    hub = settings.NEWSROOM_WEBSUB_HUB
    if not hub:
        return 0
    for url in feed_urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url}).encode()
        request = urllib.request.Request(hub, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise HubError(f"the hub {hub} answered {error.code} for {url}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise HubError(f"the hub {hub} could not be reached for {url}: {error}") from error
    return len(feed_urls)
