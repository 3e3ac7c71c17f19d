"""Matching, for phase 3: the article an earlier import made from each source (found by source, by
the file stem an import before issue 12 used, or, for an export of this site, by its primary key),
with the checksum that says whether it changed; and the slugs asked for that other articles hold.

Reads the database, never writes. Imports nothing from the other modules of the package.
"""

from typing import NamedTuple

from articles import import_sources
from articles.models import Article, SlugRedirect

# The source an export gives an article written here (no import made it); its source id is the
# article's primary key. Importing the export into the same database finds the article again.
NEWSROOM_SOURCE = "newsroom"
# Source ids per query when looking up earlier imports, well under SQLite's variable limit.
_LOOKUP_CHUNK = 500


class _Stored(NamedTuple):
    """An article an earlier import made: all the check needs to know whether it changed."""

    pk: int
    slug: str
    checksum: str
    headline: str = ""


def _slug_conflicts(entries, existing):
    """Return (entry, reason) for each entry whose slug belongs to another article."""
    conflicts = []
    slugs = [entry.slug for entry in entries]
    holders, redirects = {}, {}
    for start in range(0, len(slugs), _LOOKUP_CHUNK):
        chunk = slugs[start : start + _LOOKUP_CHUNK]
        holders.update(Article.objects.filter(slug__in=chunk).values_list("slug", "pk"))
        redirects.update(
            SlugRedirect.objects.filter(old_slug__in=chunk).values_list("old_slug", "article_id")
        )
    for entry in entries:
        slug = entry.slug
        article = existing.get(entry.key)
        own_pk = article.pk if article is not None else None
        for holder, how in ((holders.get(slug), "is taken by"), (redirects.get(slug), "redirects to")):
            if holder is not None and holder != own_pk:
                headline = Article.objects.filter(pk=holder).values_list("headline", flat=True).first()
                conflicts.append((entry, f"slug '{slug}' {how} another article, “{headline}”"))
                break
    return conflicts


def _earlier_imports(entries):
    """Return the articles earlier imports made from these sources, as ``_Stored`` by (source
    name, source id).

    An exported article that was written here (source ``NEWSROOM_SOURCE``, its id the primary key)
    is found by that key when the article has no source of its own and still has the same slug:
    an export imported back into the database it came from finds its articles.
    """
    ids_by_source = {}
    for source_name, source_id in (entry.key for entry in entries):
        ids_by_source.setdefault(source_name, []).append(source_id)
    found = {}
    for source_name, ids in ids_by_source.items():
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            rows = Article.objects.filter(source_name=source_name, source_id__in=chunk).values_list(
                "source_id", "pk", "slug", "source_checksum"
            )
            for source_id, *stored in rows:
                found[(source_name, source_id)] = _Stored(*stored)
    # Articles made before issue 12, known by their file's stem.
    found.update(
        (key, _Stored(*row))
        for key, row in import_sources.older_imports(entries, found, _LOOKUP_CHUNK).items()
    )
    written_here = {
        int(entry.source_id): entry
        for entry in entries
        if entry.source_name == NEWSROOM_SOURCE
        and entry.key not in found
        and entry.source_id.isdigit()
        and entry.slug
    }
    pks = list(written_here)
    for start in range(0, len(pks), _LOOKUP_CHUNK):
        rows = Article.objects.filter(pk__in=pks[start : start + _LOOKUP_CHUNK], source_id="").values_list(
            "pk", "slug", "source_checksum"
        )
        for stored in (_Stored(*row) for row in rows):
            entry = written_here[stored.pk]
            if stored.slug == entry.slug:
                found[entry.key] = stored
    return found
