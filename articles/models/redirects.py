"""Former slugs: the addresses an article has left, each answered with a 301 to where it is now."""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Destination(NamedTuple):
    """Where a slug leads: a public article, and whether the slug is one it has left (``former``),
    to be answered with a 301 to its current address."""

    article: models.Model
    former: bool


class SlugRedirectQuerySet(models.QuerySet):
    def resolve(self, slug):
        """The ``Destination`` of ``slug`` among public articles, or None.

        The one way in for the article page and the API's article alike. At its current slug the
        article comes loaded as its page shows it (section, bylines, topics, corrections); at a former
        one only its address is needed. A former slug of an article no reader may see leads nowhere.
        """
        # Article through the relation: stories.py imports this module for Article.save().
        public = self.model._meta.get_field("article").related_model.objects.published()
        article = public.for_page().filter(slug=slug).first()
        if article is not None:
            return Destination(article, former=False)
        redirect = self.filter(old_slug=slug, article__in=public).select_related("article").first()
        return None if redirect is None else Destination(redirect.article, former=True)


class SlugRedirect(models.Model):
    """An article's former slug, answered with a 301 to its current address.

    It belongs to that article: while it exists no other article may take the slug, so the story's
    inbound links never lead elsewhere. Only an editor can free it, by deleting it (issue 12).
    """

    class Held(ValidationError):
        """A save would give an article a slug that is another article's former address."""

    old_slug = models.SlugField(max_length=200, unique=True)
    # By name: stories.py imports this module for Article.save(), so importing Article here would loop.
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)  # when the article left this slug

    objects = SlugRedirectQuerySet.as_manager()

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"

    @classmethod
    def held_for_another(cls, slug, article):
        """The redirect keeping ``slug`` as the former address of an article other than ``article``
        (saved or not), or None."""
        redirects = cls.objects.select_related("article").filter(old_slug=slug)
        if article.pk is not None:
            redirects = redirects.exclude(article_id=article.pk)
        return redirects.first()

    @classmethod
    def leave_behind(cls, renamed):
        """For each (old slug, article) of ``renamed``, leave a redirect from the old slug to the
        article; an article taking back a former slug of its own removes that redirect, so it
        answers there again. Article.save() and the importer's batch writes both come here.

        A redirect that already leads from the old slug to another article stays with it (the slug
        checks before a write refuse a slug that is another article's former one).
        """
        if not renamed:
            return
        articles = {article.pk: article for _, article in renamed}
        taking_back = cls.objects.filter(
            old_slug__in=[article.slug for article in articles.values()], article_id__in=list(articles)
        ).values_list("pk", "old_slug", "article_id")
        cls.objects.filter(
            pk__in=[pk for pk, old_slug, owner in taking_back if articles[owner].slug == old_slug]
        ).delete()
        kept = set(
            cls.objects.filter(old_slug__in=[old for old, _ in renamed]).values_list("old_slug", flat=True)
        )
        cls.objects.bulk_create(
            cls(old_slug=old_slug, article=article) for old_slug, article in renamed if old_slug not in kept
        )

    def owner_phrase(self):
        """Whose address this was and until when, for a refusal: “Headline” used this address until …"""
        until = timezone.localtime(self.created_at)
        return f"“{self.article.headline}” used this address until {until:%d %b %Y}"
