"""The desk's content: sections, authors, topic tags, articles and their corrections.

Visibility lives in one place, ``Article.objects.published()``; every public surface starts there.
The models are split by what they are (taxonomy, stories and the querysets that read them, the
workflow's rules, corrections, former slugs, the audit trail, the content version); import them
from here.
"""

from articles.models.audit import PublicationEvent
from articles.models.content_version import ContentVersion, PageScope
from articles.models.corrections import Correction
from articles.models.redirects import SlugRedirect
from articles.models.stories import (
    BYLINES_PREFETCH,
    CARD_PREFETCHES,
    HEADLINE_MAX_LENGTH,
    READING_WORDS_PER_MINUTE,
    TOPICS_PREFETCH,
    UPDATE_GRACE,
    Article,
    ArticleAuthor,
    derive_from_body,
)
from articles.models.story_queries import RELATED_CANDIDATES, ArticleQuerySet
from articles.models.taxonomy import Author, PlainTextModel, Section, Tag, TaggedArticle, TopicName
from articles.models.workflow import PUBLISH_PERMISSION, State, Status, WorkflowError, can_publish, state_of

__all__ = [
    "BYLINES_PREFETCH",
    "CARD_PREFETCHES",
    "HEADLINE_MAX_LENGTH",
    "PUBLISH_PERMISSION",
    "READING_WORDS_PER_MINUTE",
    "RELATED_CANDIDATES",
    "TOPICS_PREFETCH",
    "UPDATE_GRACE",
    "Article",
    "ArticleAuthor",
    "ArticleQuerySet",
    "Author",
    "ContentVersion",
    "Correction",
    "PageScope",
    "PlainTextModel",
    "PublicationEvent",
    "Section",
    "SlugRedirect",
    "State",
    "Status",
    "Tag",
    "TaggedArticle",
    "TopicName",
    "WorkflowError",
    "can_publish",
    "derive_from_body",
    "state_of",
]
