"""What a webhook says, and its signature (Standard Webhooks, https://www.standardwebhooks.com/).

The body is ``{"type": "story.published", "timestamp": …, "data": …}``: for a story that is out
(published, updated, corrected) ``data`` is its IPTC ninjs document, as /api/ninjs/ serves it; for
one that came down or was deleted, only what identifies it (``uri``, ``slug``, ``id``), since its
content is no longer public.
"""

import copy
import json

from django.conf import settings
from standardwebhooks import Webhook

from articles.models import Article
from distribution.models import WebhookEvent
from distribution.ninjs import story_as_ninjs, story_uri


def story_body(event, article, now):
    """The message for ``event`` about ``article`` as UTF-8 JSON text, or None when a story said to
    be out is no longer public (taken down before the message was written): nothing to send."""
    if event == WebhookEvent.UNPUBLISHED:
        data = withdrawn_story(article)
    else:
        # Read again through the visibility rule: only what a reader may see goes out.
        public = Article.objects.published().for_page().filter(pk=article.pk).first()
        if public is None:
            return None
        data = story_as_ninjs(public)
    message = {
        "type": WebhookEvent(event).message_type,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def withdrawn_story(article):
    """What identifies a story that left the public site, and nothing of its content: its ninjs
    ``uri`` (the one partners stored), its slug and its id."""
    pk = article.pk or article.__dict__.get("deleted_id")  # a deleted story has lost its pk
    data = {"slug": article.slug}
    if pk is not None:
        identified = copy.copy(article)
        identified.pk = pk
        data = {"uri": story_uri(identified), "slug": article.slug, "id": pk}
    return data


def signed_headers(endpoint, message_id, body, now):
    """The Standard Webhooks headers for one attempt at ``now``: a fresh timestamp, and a signature
    with each of the endpoint's secrets (two for a day after a rotation)."""
    signatures = [Webhook(secret).sign(message_id, now, body) for secret in endpoint.signing_secrets(now)]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "Content-Type": "application/json",
        "User-Agent": f"{settings.NEWSROOM_SITE_NAME} webhooks ({settings.NEWSROOM_SITE_URL})",
    }
