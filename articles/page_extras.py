"""Hooks for apps beside articles to add to a story's page and to the front page (DESIGN.md, Layout:
articles never imports them).

An app registers a function; each page asks every registered function and shows what they return:

- ``add_article_page_extra(extra_for)``: ``extra_for(article, request)`` returns a ``PageExtra`` or
  None. Its templates fill the story page's slots ("head", "header", "after_body"), with its
  ``context`` under the name ``extra``; its ``graph(blocks)`` may change the page's schema.org data.
  Called on the public page only, never on a preview.
- ``add_front_page_extra(extra_for)``: ``extra_for(request)`` returns a ``PageExtra`` or None, shown
  at the top of the front page (its "top" slot).

Each function reads what it shows in a fixed number of queries, so the pages keep theirs.
"""

from dataclasses import dataclass, field

ARTICLE_PAGE_EXTRAS = []
FRONT_PAGE_EXTRAS = []
# One-to-one relations an app adds to Article, read with the story on its page (``for_page``), so
# its extra costs no query of its own: e.g. "live".
PAGE_RELATIONS = []


@dataclass
class PageExtra:
    # Slot name -> Jinja template; the template reads this extra as ``extra``.
    templates: dict
    context: dict = field(default_factory=dict)
    # Given the page's schema.org blocks, returns them changed (or the same list).
    graph: object = None

    def __getattr__(self, name):
        # Templates read the extra's context as its attributes: ``extra.updates``.
        try:
            return self.__dict__["context"][name]
        except KeyError:
            raise AttributeError(name) from None


def add_article_page_extra(extra_for):
    if extra_for not in ARTICLE_PAGE_EXTRAS:
        ARTICLE_PAGE_EXTRAS.append(extra_for)


def add_page_relation(name):
    if name not in PAGE_RELATIONS:
        PAGE_RELATIONS.append(name)


def add_front_page_extra(extra_for):
    if extra_for not in FRONT_PAGE_EXTRAS:
        FRONT_PAGE_EXTRAS.append(extra_for)


def for_article(article, request):
    return [extra for extra in (extra_for(article, request) for extra_for in ARTICLE_PAGE_EXTRAS) if extra]


def for_front_page(request):
    return [extra for extra in (extra_for(request) for extra_for in FRONT_PAGE_EXTRAS) if extra]


def extended_graph(blocks, extras):
    for extra in extras:
        if extra.graph is not None:
            blocks = extra.graph(blocks)
    return blocks
