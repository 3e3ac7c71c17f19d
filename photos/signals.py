"""Cached pages follow the pictures on them: choosing, changing or dropping a public story's lead
picture, or editing a picture a public story leads with, retires them (articles.caching)."""

from django.db.models.signals import post_delete, post_save

from articles import caching
from photos.models import LeadImage, Photo


def lead_image_changed(sender, instance, **kwargs):
    caching.stories_changed([instance.article_id])


def photo_changed(sender, instance, created=False, **kwargs):
    if not created:
        caching.stories_changed(instance.leads.values("article_id"))


def connect():
    for signal in (post_save, post_delete):
        signal.connect(lead_image_changed, sender=LeadImage, dispatch_uid="cache_lead_image")
    post_save.connect(photo_changed, sender=Photo, dispatch_uid="cache_photo")
