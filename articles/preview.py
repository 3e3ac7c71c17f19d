"""Signed, expiring links that let an editor show a draft to someone before it is published."""

from django.conf import settings
from django.core import signing

SALT = "newsroom.article-preview"


# The token of a story not saved yet: it previews only text posted from the form (unsaved_copy).
NEW_STORY = 0
# What the form's "Preview" button sends that the preview shows as typed.
TYPED_FIELDS = ("headline", "dek", "body", "dateline")


def preview_token(article):
    """Return a signed, timestamped token naming ``article`` (NEW_STORY for one not saved yet)."""
    pk = article.pk if article is not None and article.pk else NEW_STORY
    return signing.dumps({"article": pk}, salt=SALT, compress=True)


def may_preview_typed_text(user):
    """Text posted to a preview is shown as the site's page: only someone who may write stories may
    post it, so the signed link alone never renders text of the holder's choosing."""
    return user.is_active and user.is_staff and user.has_perm("articles.change_article")


def unsaved_copy(stored, data):
    """The story as the form holds it (``data``, the POST), before it is saved: ``stored`` (None for
    a new story) with the typed headline, dek, body, dateline and section, rendered as a save would.
    Bylines, topics and pictures are the saved ones. Nothing is written."""
    from articles.card_data import card_for
    from articles.models import Article, Section, derive_from_body
    from articles.plain_text import strip_text_fields

    article = stored or Article(card=card_for([], [], []))
    for name in TYPED_FIELDS:
        if name in data:
            setattr(article, name, data[name])
    section_id = str(data.get("section") or "")
    section = Section.objects.filter(pk=int(section_id)).first() if section_id.isdigit() else None
    if section is not None:
        article.section = section
    elif article.section_id is None:
        article.section = Section(name="No section chosen yet", slug="no-section")
    strip_text_fields(article)
    article.body_html, article.word_count = derive_from_body(article.body)
    return article


def article_id_from_token(token):
    """Return the article id in ``token``; raise signing.BadSignature when the token was tampered
    with or is older than NEWSROOM_PREVIEW_MAX_AGE (SignatureExpired is a BadSignature)."""
    data = signing.loads(token, salt=SALT, max_age=settings.NEWSROOM_PREVIEW_MAX_AGE)
    return data["article"]
