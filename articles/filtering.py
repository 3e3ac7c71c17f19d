"""A list's filters (tags, section): read from the query string, and applied to a queryset.

The HTML lists, search and the JSON API all go through ``ListFilters``, so the same query string
means the same articles everywhere. Validation happens here, where input enters: a malformed value
is a 400, an unknown tag or section a 404, so no odd parameter ever reaches a queryset or a 500.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils import timezone

from articles.models import Article, Section
from articles.slugs import is_slug

MAX_TAGS = 6
# A tag's or a section's slug field holds at most this many characters.
MAX_SLUG_LENGTH = 100


def _valid_slug(value, name):
    if not is_slug(value, MAX_SLUG_LENGTH):
        raise BadRequest(f"“{value[:40]}” is not a valid {name}.")
    return value.lower()


@dataclass
class ListFilters:
    """The chosen tags and section of a list page, and the links to change them."""

    tags: list = field(default_factory=list)
    section: Section | None = None

    @classmethod
    def from_request(cls, request, *, allow_section=True):
        """Parse ``tag=`` (repeatable, AND) and ``section=``; raise BadRequest or Http404."""
        slugs = []
        for value in request.GET.getlist("tag"):
            slug = _valid_slug(value.strip(), "tag")
            if slug not in slugs:
                slugs.append(slug)
        if len(slugs) > MAX_TAGS:
            raise BadRequest(f"Filter by at most {MAX_TAGS} tags at once.")
        tags = []
        if slugs:
            # Only topics readers know of: one carried by drafts alone is as unknown as a typo.
            in_use = Article.objects.published().tags_in_use()
            found = {tag.slug: tag for tag in in_use.filter(slug__in=slugs)}
            missing = [slug for slug in slugs if slug not in found]
            if missing:
                raise Http404(f"No topic “{missing[0]}”.")
            tags = [found[slug] for slug in slugs]

        section = None
        section_slug = request.GET.get("section", "").strip() if allow_section else ""
        if section_slug:
            _valid_slug(section_slug, "section")
            section = Section.objects.filter(slug=section_slug.lower()).first()
            if section is None:
                raise Http404(f"No section “{section_slug}”.")
        return cls(tags=tags, section=section)

    def apply(self, queryset):
        """``queryset`` narrowed to the chosen section and to articles carrying every chosen tag."""
        if self.section:
            queryset = queryset.in_section(self.section)
        return queryset.tagged_with_all(self.tags)

    @property
    def active(self):
        return bool(self.tags or self.section)

    def _query(self, tags, section):
        params = [("section", section.slug)] if section else []
        params += [("tag", tag.slug) for tag in tags]
        return "?" + urlencode(params) if params else "?"

    def url_adding(self, tag):
        return self._query([*self.tags, tag], self.section)

    def url_removing(self, tag):
        return self._query([t for t in self.tags if t != tag], self.section)

    def url_without_section(self):
        return self._query(self.tags, None)

    def url_clearing(self):
        return "?"

    def chips(self):
        """The chosen tags, each with the link that removes it."""
        return [{"tag": tag, "remove_url": self.url_removing(tag)} for tag in self.tags]


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _valid_date(value, name):
    # Exactly as the API's schema says (articles/schemas.py, OptionalDate): a date, or nothing. Not
    # stripped: a blank such as "\v" is neither, and a date field never sends one.
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"“{value[:40]}” is not a date: give {name}= as YYYY-MM-DD.") from None


@dataclass
class DateRange:
    """Publication dates ``from=`` and ``to=`` (YYYY-MM-DD, both days included, the site's time zone)."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def from_request(cls, request, *, reversed_ok=False):
        """Parse ``from=`` and ``to=``; raise BadRequest for a malformed date or, unless
        ``reversed_ok`` (then it matches nothing), a range ending before it starts."""
        start = _valid_date(request.GET.get("from", ""), "from")
        end = _valid_date(request.GET.get("to", ""), "to")
        if start and end and start > end and not reversed_ok:
            raise BadRequest("The date range ends before it starts: swap from= and to=.")
        return cls(start=start, end=end)

    @property
    def active(self):
        return bool(self.start or self.end)

    def apply(self, queryset):
        """``queryset`` narrowed to articles published within the range."""
        zone = timezone.get_current_timezone()
        if self.start:
            queryset = queryset.filter(published_at__gte=datetime.combine(self.start, time.min, zone))
        if self.end and self.end < date.max:  # the day after the end, exclusive
            after = datetime.combine(self.end + timedelta(days=1), time.min, zone)
            queryset = queryset.filter(published_at__lt=after)
        return queryset
