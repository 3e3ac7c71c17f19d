"""What a public page shows, as surrogate keys, so a change retires only the pages that showed it.

While a cacheable page is rendered, the keys of what it shows are gathered here; the page cache
(articles/caching.py) stores the page with them and sends them to a caching proxy in front as the
``Surrogate-Key`` header. A change retires its keys (``caching.retire``):

- ``site``: every page (the navigation, a section or topic renamed, a deploy).
- ``story:<id>``: the pages a story appears on, in full or as a card: its own page, lists, feeds,
  search results. Every Article read from the database while a page renders adds it (``from_db``),
  so a page can never show a story without naming it; a visible edit of the story retires them.
- ``mention:<id>``: pages that only link to it in passing (an article's related coverage): retired
  when the story leaves the public site, not on every edit of its text, or editing the day's newest
  story would retire every article that lists it as related.
- ``front``, ``lists``, ``section:<id>``, ``topic:<id>``, ``author:<id>``: which stories a list holds
  (the front page; every other list, feed, search and unknown page; one section's, topic's or
  author's list and feeds). Retired when a story comes onto or leaves such a list, or moves in it.
- ``stories``: pages that reflect every public story (sitemaps), and a list too long to name each
  story it shows; retired by any visible change to any story.

A view says which list it is with ``declare``; a page whose view declares nothing is taken to be a
list of anything (``lists``), the safe guess.

Behind a proxy that can include fragments (ESI), an article page leaves its related coverage to a
fragment of its own (``include_at_edge``): taking down a story then retires the small fragments that
link to it, not the article pages around them.
"""

from contextlib import contextmanager
from contextvars import ContextVar

SITE = "site"
FRONT = "front"
LISTS = "lists"
STORIES = "stories"
# The keys of pages that list stories: such a page changes when a scheduled story goes live.
LISTING = frozenset({FRONT, LISTS, STORIES})
LISTING_PREFIXES = ("section:", "topic:", "author:")
# Above this many stories named on one page, the page carries ``stories`` instead: the header
# stays short, and such a page (a long feed) changes with nearly every edit in any case.
MAX_STORY_KEYS = 100


def story(pk):
    return f"story:{pk}"


def mention(pk):
    return f"mention:{pk}"


def section(pk):
    return f"section:{pk}"


def topic(pk):
    return f"topic:{pk}"


def author(pk):
    return f"author:{pk}"


class _Gathered:
    def __init__(self):
        self.keys = {SITE}
        self.stories = set()
        self.declared = False
        self.mentioning = 0
        self.edge_includes = False

    def result(self):
        keys = set(self.keys)
        if not self.declared:
            keys.add(LISTS)
        if len(self.stories) > MAX_STORY_KEYS:
            keys.add(STORIES)
        else:
            keys |= self.stories
        return frozenset(keys)


_gathered = ContextVar("newsroom_page_keys", default=None)


@contextmanager
def gathering():
    """Gather the keys of the page rendered inside; the object yielded has them, once done, as
    ``result()``."""
    gathered = _Gathered()
    token = _gathered.set(gathered)
    try:
        yield gathered
    finally:
        _gathered.reset(token)


def declare(*keys):
    """The view knows which list its page is (or that it is none: an article page declares no key)."""
    gathered = _gathered.get()
    if gathered is not None:
        gathered.declared = True
        gathered.keys.update(keys)


def shows(*keys):
    """The page shows these, whatever kind of page it is."""
    gathered = _gathered.get()
    if gathered is not None:
        gathered.keys.update(keys)


def saw_story(pk):
    """Article.from_db: a story was read while a page renders."""
    gathered = _gathered.get()
    if gathered is not None and pk is not None:
        if gathered.mentioning:
            gathered.keys.add(mention(pk))
        else:
            gathered.stories.add(story(pk))


def include_at_edge(request):
    """Whether a part of this page that changes on its own (an article's related coverage) may be
    left to the caching proxy in front to include (ESI), fetched and cached apart with its own keys:
    only for a page being gathered for the caches, asked for by a proxy that says it can
    (``Surrogate-Capability: …="ESI/1.0"``, edge/varnish/newsroom.vcl). Marks the page as using it."""
    gathered = _gathered.get()
    capable = "ESI/1.0" in request.META.get("HTTP_SURROGATE_CAPABILITY", "")
    if gathered is None or not capable:
        return False
    gathered.edge_includes = True
    return True


@contextmanager
def mentioning():
    """The stories read inside are only linked to (related coverage): see ``mention``."""
    gathered = _gathered.get()
    if gathered is None:
        yield
        return
    gathered.mentioning += 1
    try:
        yield
    finally:
        gathered.mentioning -= 1


# What a change retires.


def listing_keys(section_id, topic_ids, author_ids):
    """The lists a story with these belongs on."""
    keys = {FRONT, LISTS, STORIES}
    if section_id is not None:
        keys.add(section(section_id))
    keys.update(topic(pk) for pk in topic_ids)
    keys.update(author(pk) for pk in author_ids)
    return keys


def story_changed(article, *, relisted, gone=False, topic_ids=(), author_ids=()):
    """The keys a visible change to ``article`` retires: the pages that show it; with ``relisted``
    (it came onto or left the public site, or moved: another date, section or address) the lists it
    was and is on, with its ``topic_ids`` and ``author_ids``; with ``gone`` (it left the public
    site) the pages that link to it too."""
    keys = {story(article.pk), STORIES}
    if relisted or gone:
        keys |= listing_keys(article.section_id, topic_ids, author_ids)
        stored_section = getattr(article, "_stored_section_id", None)
        if stored_section is not None:
            keys.add(section(stored_section))
    if gone:
        keys.add(mention(article.pk))
    return keys
