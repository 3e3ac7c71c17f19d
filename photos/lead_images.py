"""The lead image in the article form: an inline that articles/admin.py shows through its hook, so
articles never imports photos."""

from django.contrib import admin

from articles.admin import add_article_inline
from photos.models import LeadImage


class LeadImageInline(admin.StackedInline):
    model = LeadImage
    autocomplete_fields = ["photo"]
    extra = 0
    max_num = 1
    verbose_name_plural = "lead image"


add_article_inline(LeadImageInline, part="image")
