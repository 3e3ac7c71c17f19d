"""Cached pages follow the pictures on them: choosing, changing or dropping a public story's lead
picture, or editing a picture a public story leads with, retires them (articles.caching). Bodies
showing a picture (``photo:ID``) are rendered again when its texts change or it goes, so they carry
its current alt text and caption."""

from django.db.models.signals import post_delete, post_save

from articles import caching
from articles.body_pictures import render_bodies_showing
from photos.models import LeadImage, Photo


def lead_image_changed(sender, instance, **kwargs):
    caching.stories_changed([instance.article_id])


def photo_changed(sender, instance, created=False, **kwargs):
    if created:
        return  # no body can show a picture before it exists
    shown_in = render_bodies_showing(instance.pk)
    caching.stories_changed([*instance.leads.values_list("article_id", flat=True), *shown_in])


def photo_deleted(sender, instance, **kwargs):
    # The picture desk refuses this while a body shows it; from the shell, the figure goes quietly.
    caching.stories_changed(render_bodies_showing(instance.pk))


def connect():
    for signal in (post_save, post_delete):
        signal.connect(lead_image_changed, sender=LeadImage, dispatch_uid="cache_lead_image")
    post_save.connect(photo_changed, sender=Photo, dispatch_uid="cache_photo")
    post_delete.connect(photo_deleted, sender=Photo, dispatch_uid="cache_photo_deleted")
