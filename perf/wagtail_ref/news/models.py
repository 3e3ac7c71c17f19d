"""A news index as Wagtail's tutorial ("Your first Wagtail site") builds its blog: an index page of
story pages with a date, intro, rich-text body, authors (snippets) and tags, and a tag index page.
Lists are paginated 20 a page and use ``.specific()``, kinder to Wagtail than the tutorial's
per-item ``post.specific``."""

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.snippets.models import register_snippet

PER_PAGE = 20


def paginate(request, queryset):
    paginator = Paginator(queryset, PER_PAGE)
    try:
        return paginator.page(request.GET.get("page", 1))
    except (PageNotAnInteger, EmptyPage):
        return paginator.page(1)


class NewsIndexPage(Page):
    intro = RichTextField(blank=True)

    def get_context(self, request):
        context = super().get_context(request)
        stories = NewsPage.objects.child_of(self).live().order_by("-date", "-pk")
        context["stories"] = paginate(request, stories)
        return context


@register_snippet
class Author(models.Model):
    name = models.CharField(max_length=255)

    def __str__(self):
        return self.name


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey("NewsPage", related_name="tagged_items", on_delete=models.CASCADE)


class NewsPage(Page):
    date = models.DateTimeField("Post date")
    intro = models.CharField(max_length=1000)
    body = RichTextField(blank=True)
    authors = ParentalManyToManyField("news.Author", blank=True)
    tags = ClusterTaggableManager(through=NewsPageTag, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("authors", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]


class NewsTagIndexPage(Page):
    def get_context(self, request):
        context = super().get_context(request)
        stories = NewsPage.objects.live()
        for tag in request.GET.getlist("tag"):  # the tutorial filters by one; several narrow further
            stories = stories.filter(tags__name=tag)
        context["stories"] = paginate(request, stories.order_by("-date", "-pk"))
        return context
