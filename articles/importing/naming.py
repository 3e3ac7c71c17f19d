"""Names and slugs, settled while writing (phase 4): sections, authors and tags found by name,
ignoring case, or created (``_Names``); slugs for new articles that ask for none, from their
headlines (``_HeadlineSlugs``); and the cleaning of a name that the checks and the writes agree on.

Imports nothing from the other modules of the package.
"""

from functools import reduce
from itertools import chain
from operator import or_

from django.db.models import Q
from django.utils.text import slugify

from articles.models import Article, Author, Section, SlugRedirect, Tag, TopicName

ARTICLE_SLUG_MAX_CHARS = 80
# Names per lookup: an OR of this many terms stays well under SQLite's expression depth (1000).
_NAME_CHUNK = 100


class _HeadlineSlugs:
    """Slugs for new articles whose files name none: the headline's, cut at a word to 80
    characters, made unique (-2, -3…) against every article, every old slug that still redirects,
    the slugs the files of this import ask for, and each other."""

    def __init__(self, entries, existing):
        # Worked out now, while the entries are all there: the writing lets each go once written.
        self._bases = {
            _headline_slug(entry.headline)
            for entry in entries
            if not entry.slug and entry.key not in existing
        }
        self._taken = {entry.slug for entry in entries if entry.slug}
        self._loaded = False

    def take(self, headline):
        if not self._loaded:
            self._load()
        base = _headline_slug(headline)
        slug, number = base, 2
        while slug in self._taken:
            slug, number = f"{base}-{number}", number + 1
        self._taken.add(slug)
        return slug

    def _load(self):
        """Add to the slugs taken those of the site that a new article's headline could otherwise
        be given: its headline's slug, or one with a number after it.

        One pass over the site's slugs, keeping only those: memory follows the size of the import,
        not of the site. Each headline's own slug is worked out again when it is taken, rather than
        kept for every new article.
        """
        site = chain(
            Article.objects.values_list("slug", flat=True).iterator(chunk_size=5000),
            SlugRedirect.objects.values_list("old_slug", flat=True).iterator(chunk_size=5000),
        )
        for slug in site:
            stem, _, number = slug.rpartition("-")
            if slug in self._bases or (number.isdigit() and stem in self._bases):
                self._taken.add(slug)
        self._bases = None
        self._loaded = True


def _headline_slug(headline):
    return _cut_slug(slugify(headline), ARTICLE_SLUG_MAX_CHARS) or "article"


def _cut_slug(slug, limit):
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]).strip("-")


def _clean_name(name):
    return " ".join(str(name).split())


def _unique_names(names):
    """Return ``names`` cleaned of extra spaces, empty ones dropped, each once (ignoring case)."""
    unique = {}
    for name in map(_clean_name, names):
        if name:
            unique.setdefault(name.casefold(), name)
    return list(unique.values())


class _Names:
    """Sections, authors and tags by name, found (ignoring case) or created, once per import.

    ``settle()`` looks up, a batch at a time, the names not met before: a query per kind and per
    ``_NAME_CHUNK`` new names, and one insert per kind for the names new to the site.
    """

    # The slug a name without letters or digits gets; tags make their own (Tag.slugify).
    _FALLBACK_SLUGS = {Section: "section", Author: "author"}

    def __init__(self):
        self._cache = {}

    def settle(self, plans):
        """Find or create every section, author and tag that ``plans`` name."""
        for model, names in (
            (Section, [plan.section for plan in plans]),
            (Author, [name for plan in plans for name in plan.authors]),
            (Tag, [name for plan in plans for name in plan.tags]),
        ):
            wanted = {}
            for name in names:
                if (model, name.casefold()) not in self._cache:
                    wanted.setdefault(name.casefold(), name)
            if wanted:
                self._find(model, wanted)
                missing = [name for key, name in wanted.items() if (model, key) not in self._cache]
                if missing:
                    self._create(model, missing)

    def section(self, name):
        return self._cache[(Section, name.casefold())]

    def author(self, name):
        return self._cache[(Author, name.casefold())]

    def tag(self, name):
        return self._cache[(Tag, name.casefold())]

    def _find(self, model, wanted):
        names = list(wanted.values())
        for start in range(0, len(names), _NAME_CHUNK):
            query = reduce(or_, (Q(name__iexact=name) for name in names[start : start + _NAME_CHUNK]))
            # The oldest of several that differ only in case, as before this import.
            for found in model.objects.filter(query).order_by("pk"):
                key = found.name.casefold()
                if key in wanted:
                    self._cache.setdefault((model, key), found)

    def _create(self, model, names):
        """Create ``model`` rows for ``names`` with unique slugs: the name's slug, else numbered
        (-2, -3… for sections and authors; -1, -2… for tags, as taggit numbers them)."""
        if model is Tag:
            bases = {name: Tag().slugify(name) for name in names}
            numbered, first = (lambda name, number: Tag().slugify(name, number)), 1
        else:
            limit = model._meta.get_field("slug").max_length - 4
            fallback = self._FALLBACK_SLUGS[model]
            bases = {name: _cut_slug(slugify(name), limit) or fallback for name in names}
            numbered, first = (lambda name, number: f"{bases[name]}-{number}"), 2
        taken = set()
        prefixes = sorted(set(bases.values()))
        for start in range(0, len(prefixes), _NAME_CHUNK):
            query = reduce(or_, (Q(slug__startswith=base) for base in prefixes[start : start + _NAME_CHUNK]))
            taken.update(model.objects.filter(query).values_list("slug", flat=True))
        rows = []
        for name in names:
            slug, number = bases[name], first
            while slug in taken:
                slug, number = numbered(name, number), number + 1
            taken.add(slug)
            rows.append(model(name=name, slug=slug))
        created = model.objects.bulk_create(rows)
        for row in created:
            self._cache[(model, row.name.casefold())] = row
        if model is Tag:
            TopicName.index(created)  # bulk_create sends no post_save
