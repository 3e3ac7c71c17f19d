"""Signed, expiring links that let an editor show a draft to someone before it is published."""

from django.conf import settings
from django.core import signing

SALT = "newsroom.article-preview"


def preview_token(article):
    """Return a signed, timestamped token naming ``article``."""
    return signing.dumps({"article": article.pk}, salt=SALT, compress=True)


def article_id_from_token(token):
    """Return the article id in ``token``; raise signing.BadSignature when the token was tampered
    with or is older than NEWSROOM_PREVIEW_MAX_AGE (SignatureExpired is a BadSignature)."""
    data = signing.loads(token, salt=SALT, max_age=settings.NEWSROOM_PREVIEW_MAX_AGE)
    return data["article"]
