"""The lead image in the article form: an inline that articles/admin.py shows through its hook, so
articles never imports photos."""

from django.contrib import admin

from articles.admin import add_article_inline
from articles.revisions import register_part
from photos.models import LeadImage, Photo


class LeadImageInline(admin.StackedInline):
    model = LeadImage
    autocomplete_fields = ["photo"]
    extra = 0
    max_num = 1
    verbose_name_plural = "lead image"


add_article_inline(LeadImageInline, part="image")


# Each revision of a story keeps its lead image, and restoring the revision brings it back.


def _lead_image(article):
    lead = LeadImage.objects.filter(article=article).select_related("photo").first()
    return None if lead is None else [lead.photo_id, str(lead.photo)]


def _restore_lead_image(article, value):
    if value is None:
        LeadImage.objects.filter(article=article).delete()
        return []
    photo_id, name = value
    if not Photo.objects.filter(pk=photo_id).exists():
        return [f"The picture “{name}” is no longer in the library."]
    LeadImage.objects.update_or_create(article=article, defaults={"photo_id": photo_id})
    return []


def _describe_lead_image(value):
    return value[1] if value else "none"


register_part(
    "image",
    label="Lead image",
    snapshot=_lead_image,
    restore=_restore_lead_image,
    describe=_describe_lead_image,
)
