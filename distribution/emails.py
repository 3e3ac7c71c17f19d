"""What the newsletters look like: each mailing's HTML and plain text, rendered once when it is made,
and each recipient's message built from them with their own unsubscribe link.

The HTML is what mail programs read well: a 600-pixel table layout with its CSS inlined (css-inline;
the dark-mode rules stay in a <style> block, where a media query has to be), colours that hold in
dark mode, every picture with its alt text and size so the email reads the same with images off.
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from articles.addresses import absolute_media, absolute_url
from articles.pictures import attach_lead_pictures
from distribution import lists
from distribution.subscribing import confirmation_token, unsubscribe_token

# Stands in for each recipient's unsubscribe address in a mailing's stored HTML and text.
UNSUBSCRIBE_SLOT = "https://unsubscribe.invalid/slot"
EMAIL_IMAGE_WIDTH = 560
_INLINER = css_inline.CSSInliner(keep_style_tags=True)


def _story(article):
    picture = article.lead_picture
    version = picture.fallback("16x9", EMAIL_IMAGE_WIDTH) if picture else None
    return {
        "headline": article.headline,
        "dek": article.dek,
        "url": absolute_url(article.get_absolute_url()),
        "section": article.section.name,
        "byline": ", ".join(author.name for author in article.byline_authors),
        "dateline": article.dateline,
        "image": (
            {
                "url": absolute_media(version.url),
                "alt": picture.alt,
                "width": EMAIL_IMAGE_WIDTH,
                "height": round(EMAIL_IMAGE_WIDTH * version.height / version.width),
            }
            if version
            else None
        ),
    }


def render(*, newsletter, subject, intro, articles, note=""):
    """(html, text) of one mailing: ``newsletter`` a NewsletterList, ``articles`` in order."""
    articles = attach_lead_pictures(list(articles), ("16x9",))
    context = {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": absolute_url("/"),
        "newsletter": newsletter,
        "subject": subject,
        "intro": intro,
        "note": note,
        "stories": [_story(article) for article in articles],
        "unsubscribe_url": UNSUBSCRIBE_SLOT,
        "signup_url": absolute_url(reverse("distribution:signup")),
    }
    html = render_to_string("distribution/email/newsletter.html", context)
    text = render_to_string("distribution/email/newsletter.txt", context)
    return _INLINER.inline(html), text


def unsubscribe_url(subscriber, list_key):
    token = unsubscribe_token(subscriber, list_key)
    return absolute_url(reverse("distribution:unsubscribe", args=[token]))


def mailing_message(mailing, delivery, subscriber, connection=None, list_title=None):
    """The email of ``mailing`` for one recipient: their own unsubscribe link in the body and in the
    List-Unsubscribe headers (one click, RFC 8058), and a Message-ID that names the delivery."""
    leave = unsubscribe_url(subscriber, mailing.list_key)
    message = EmailMultiAlternatives(
        subject=mailing.subject,
        body=mailing.text.replace(UNSUBSCRIBE_SLOT, leave),
        from_email=settings.NEWSROOM_NEWSLETTER_FROM,
        to=[subscriber.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # The sender passes the title, looked up once per mailing rather than once per recipient.
            "List-Id": f"{list_title or lists.lookup_title(mailing.list_key)} <{_list_id(mailing.list_key)}>",
            "Message-ID": f"<mailing-{mailing.pk}.delivery-{delivery.pk}@{_domain()}>",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(mailing.html.replace(UNSUBSCRIBE_SLOT, leave), "text/html")
    return message


def confirmation_message(subscriber, list_keys):
    """The double opt-in email: a link that confirms the lists the reader asked for."""
    token = confirmation_token(subscriber)
    context = {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "site_url": absolute_url("/"),
        "confirm_url": absolute_url(reverse("distribution:confirm", args=[token])),
        "titles": lists.titles(list_keys),
        "days": settings.NEWSROOM_CONFIRMATION_DAYS,
    }
    message = EmailMultiAlternatives(
        subject=f"Confirm your {settings.NEWSROOM_SITE_NAME} newsletters",
        body=render_to_string("distribution/email/confirm.txt", context),
        from_email=settings.NEWSROOM_NEWSLETTER_FROM,
        to=[subscriber.email],
        headers={"Message-ID": make_msgid(domain=_domain()), "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        _INLINER.inline(render_to_string("distribution/email/confirm.html", context)), "text/html"
    )
    return message


def _domain():
    return urlsplit(settings.NEWSROOM_SITE_URL).hostname or "localhost"


def _list_id(list_key):
    # RFC 2919: a list-id is a dot-atom; a key's ":" becomes "."
    return f"{list_key.replace(':', '.')}.{_domain()}"


def edition_date(moment=None):
    return timezone.localdate(moment or timezone.now())
