"""The daily briefing: assembled from the day's stories, ordered and annotated by the editors, and
sent at NEWSROOM_BRIEFING_TIME in the desk's time zone unless an editor holds it or sends it first.
The same run sends each section's and topic's digest of the day to its subscribers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from articles.models import Article
from distribution import emails, lists
from distribution.models import Briefing, BriefingItem, Subscription
from distribution.models.newsletters import BriefingStatus, MailingKind
from distribution.sending import start_mailing

# A briefing due longer ago than this (the worker was down overnight) is no longer news: it waits
# for an editor instead of going out late by itself.
TOO_LATE = timedelta(hours=6)
DAY = timedelta(days=1)


def send_time(day):
    """When ``day``'s briefing goes out by itself: NEWSROOM_BRIEFING_TIME on that day, desk time."""
    return datetime.combine(day, settings.NEWSROOM_BRIEFING_TIME, tzinfo=ZoneInfo(settings.TIME_ZONE))


def briefing_for(day):
    """``day``'s briefing, made and filled with the day's stories the first time it is asked for."""
    briefing, made = Briefing.objects.get_or_create(date=day, defaults={"send_at": send_time(day)})
    if made:
        assemble(briefing)
    return briefing


def window_stories(briefing):
    """The public stories of the briefing's day: published in the 24 hours before it goes out."""
    end = (
        max(briefing.send_at, timezone.now()) if briefing.status != BriefingStatus.SENT else briefing.send_at
    )
    return Article.objects.published().filter(published_at__gt=briefing.send_at - DAY, published_at__lte=end)


def assemble(briefing):
    """Add the day's stories the briefing does not have yet, after those it has: the featured
    stories first, then the newest. The editors' order and choices stay as they are."""
    present = set(briefing.items.values_list("article_id", flat=True))
    stories = window_stories(briefing).exclude(pk__in=present).order_by("-featured", "-published_at")
    start = (briefing.items.aggregate(last=Max("position"))["last"] or 0) + 1
    BriefingItem.objects.bulk_create(
        [BriefingItem(briefing=briefing, article=a, position=start + i) for i, a in enumerate(stories)],
        ignore_conflicts=True,
    )


def subject_of(briefing):
    return f"The briefing: {briefing.date:%A %-d %B %Y}"


def render(briefing):
    """(html, text, stories) of the briefing as it would go now. Only what is public goes: a story
    taken down since it was chosen is left out."""
    public = Article.objects.published().select_related("section")
    chosen = {a.pk: a for a in public.filter(pk__in=briefing.items.values("article_id"))}
    order = briefing.items.order_by("position", "id").values_list("article_id", flat=True)
    stories = [chosen[pk] for pk in order if pk in chosen]
    html, text = emails.render(
        newsletter=lists.BRIEFING_LIST,
        subject=subject_of(briefing),
        intro=f"{len(stories)} {'story' if len(stories) == 1 else 'stories'} from the desk today.",
        articles=stories,
        note=briefing.note,
    )
    return html, text, stories


def send(briefing, *, by=None):
    """Send the briefing now (and the day's digests with it). False if it had gone already."""
    with transaction.atomic():
        briefing = Briefing.objects.select_for_update().get(pk=briefing.pk)
        if briefing.status == BriefingStatus.SENT:
            return False
        html, text, _ = render(briefing)
        mailing = start_mailing(
            kind=MailingKind.BRIEFING,
            list_key=lists.BRIEFING,
            edition=briefing.date,
            subject=subject_of(briefing),
            html=html,
            text=text,
        )
        briefing.status = BriefingStatus.SENT
        briefing.mailing = mailing
        briefing.updated_by = by or briefing.updated_by
        briefing.save(update_fields=["status", "mailing", "updated_by", "updated_at"])
        _send_digests(briefing, f"{briefing.date:%A %-d %B %Y}")
    return True


def _send_digests(briefing, day):
    """Each section's and topic's subscribers get that day's stories in it, if there were any."""
    keys = (
        Subscription.objects.confirmed()
        .filter(Q(list_key__startswith=lists.SECTION_PREFIX) | Q(list_key__startswith=lists.TOPIC_PREFIX))
        .values_list("list_key", flat=True)
        .distinct()
    )
    published = window_stories(briefing).select_related("section")
    for key in sorted(set(keys)):
        newsletter = lists.lookup(key)
        stories = (
            list(lists.stories_of(key, published).order_by("-published_at").distinct()) if newsletter else []
        )
        if not stories:
            continue
        subject = f"{newsletter.title}: {day}"
        html, text = emails.render(
            newsletter=newsletter, subject=subject, intro=newsletter.description, articles=stories
        )
        start_mailing(
            kind=MailingKind.DIGEST,
            list_key=key,
            edition=briefing.date,
            subject=subject,
            html=html,
            text=text,
        )


def send_due(now=None):
    """What the clock does: today's briefing goes out at its time unless held or sent; a briefing
    whose time an editor set goes out then. Returns the briefings sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if send_time(today) <= now:
        briefing_for(today)
    due = Briefing.objects.filter(status=BriefingStatus.DRAFT, send_at__lte=now, send_at__gt=now - TOO_LATE)
    return [briefing for briefing in due if send(briefing)]
