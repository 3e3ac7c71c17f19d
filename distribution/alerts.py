"""Breaking-news alerts: a story an editor marks as an alert goes to the alert list once it is
public, once. Marked before publishing, it goes when the story does (publishing's story_published,
which the clock sends for a scheduled story); marked on a public story, it goes when saved."""

from django.db import transaction

from articles.models import Article
from distribution import emails, lists
from distribution.models import BreakingAlert
from distribution.models.newsletters import MailingKind
from distribution.sending import start_mailing


def subject_of(alert):
    return alert.subject.strip() or f"Breaking: {alert.article.headline}"


def send_if_due(article_id):
    """Start the alert of a public story that has one not yet sent; the mailing, or None."""
    with transaction.atomic():
        alert = (
            BreakingAlert.objects.select_for_update()
            .select_related("article__section")
            .filter(article_id=article_id, mailing__isnull=True)
            .first()
        )
        if alert is None or not Article.objects.published().filter(pk=article_id).exists():
            return None
        subject = subject_of(alert)
        html, text = emails.render(
            newsletter=lists.ALERTS_LIST, subject=subject, intro="", articles=[alert.article]
        )
        mailing = start_mailing(
            kind=MailingKind.ALERT,
            list_key=lists.ALERTS,
            article=alert.article,
            subject=subject,
            html=html,
            text=text,
        )
        if mailing is not None:
            alert.mailing = mailing
            alert.save(update_fields=["mailing"])
        return mailing
