"""The lists a reader can subscribe to, named by a key: ``briefing`` (the daily briefing),
``alerts`` (breaking news), ``section:<slug>`` and ``topic:<slug>`` (that day's stories in a section
or on a topic, sent with the briefing)."""

from dataclasses import dataclass

from articles.models import Article, Section, Tag

BRIEFING = "briefing"
ALERTS = "alerts"
SECTION_PREFIX = "section:"
TOPIC_PREFIX = "topic:"


@dataclass(frozen=True)
class NewsletterList:
    key: str
    title: str
    description: str

    @property
    def is_digest(self):
        return self.key.startswith((SECTION_PREFIX, TOPIC_PREFIX))


BRIEFING_LIST = NewsletterList(
    BRIEFING, "The daily briefing", "The day's foreign-affairs coverage, chosen by the desk, every morning."
)
ALERTS_LIST = NewsletterList(
    ALERTS, "Breaking news", "A short email when a big story breaks. Rarely more than one a day."
)


def section_list(section):
    return NewsletterList(
        f"{SECTION_PREFIX}{section.slug}",
        section.name,
        f"The day's new stories in {section.name}, with the briefing.",
    )


def topic_list(tag):
    return NewsletterList(
        f"{TOPIC_PREFIX}{tag.slug}", tag.name, f"The day's new stories on {tag.name}, with the briefing."
    )


def public_topics():
    """Topics with a public story: a topic only drafts carry is not named to readers."""
    return Tag.objects.filter(tagged_articles__content_object__in=Article.objects.published()).distinct()


def offered():
    """What the sign-up page offers: the briefing, alerts and every section, in navigation order."""
    return [
        BRIEFING_LIST,
        ALERTS_LIST,
        *(section_list(s) for s in Section.objects.order_by("position", "name")),
    ]


def lookup(key):
    """The list a key names, or None when it names none (a section or topic that does not exist)."""
    # A key comes from the query string or the form: PostgreSQL refuses a NUL in a query (DataError,
    # a 500), and no slug holds one.
    if "\x00" in key:
        return None
    if key == BRIEFING:
        return BRIEFING_LIST
    if key == ALERTS:
        return ALERTS_LIST
    if key.startswith(SECTION_PREFIX):
        section = Section.objects.filter(slug=key.removeprefix(SECTION_PREFIX)).first()
        return section_list(section) if section else None
    if key.startswith(TOPIC_PREFIX):
        tag = public_topics().filter(slug=key.removeprefix(TOPIC_PREFIX)).first()
        return topic_list(tag) if tag else None
    return None


def titles(keys):
    """Each key's list title, for messages; a key whose list is gone keeps its key."""
    return [found.title if (found := lookup(key)) else key for key in keys]


def lookup_title(key):
    found = lookup(key)
    return found.title if found else key


def stories_of(key, published):
    """The public stories of a digest list among ``published`` (a queryset of public stories)."""
    if key.startswith(SECTION_PREFIX):
        return published.filter(section__slug=key.removeprefix(SECTION_PREFIX))
    if key.startswith(TOPIC_PREFIX):
        return published.filter(tags__slug=key.removeprefix(TOPIC_PREFIX))
    return Article.objects.none()
