"""Stories follow the pictures they lead with: choosing, changing or dropping a story's lead picture,
editing a picture a story leads with or making new crops of it refreshes those stories' cards
(articles.cards), and retires cached pages when a reader can see one of them (articles.retiring). Bodies
showing a picture (``photo:ID``) are rendered again when its texts change or it goes, so they carry
its current alt text and caption."""

from django.db.models.signals import post_delete, post_save

from articles import cards, retiring
from articles.body_pictures import render_bodies_showing
from photos.models import LeadImage, Photo


def lead_image_changed(sender, instance, using, origin=None, **kwargs):
    if not cards._deleting_article(origin):
        cards.stories_changed([instance.article_id], using)
    retiring.stories_changed([instance.article_id])


def photo_changed(sender, instance, using, created=False, **kwargs):
    if created:
        return  # no story can show a picture before it exists
    shown_in = render_bodies_showing(instance.pk)
    leading = list(instance.leads.values_list("article_id", flat=True))
    cards.stories_changed(leading, using)
    retiring.stories_changed([*leading, *shown_in])


def renditions_made(photo):
    """New crops of ``photo`` (a new focal point, or made on first use): its stories' cards list them."""
    leading = list(photo.leads.values_list("article_id", flat=True))
    cards.stories_changed(leading)
    retiring.stories_changed(leading)


def photo_deleted(sender, instance, **kwargs):
    # The picture desk refuses this while a body shows it; from the shell, the figure goes quietly.
    retiring.stories_changed(render_bodies_showing(instance.pk))


def connect():
    for signal in (post_save, post_delete):
        signal.connect(lead_image_changed, sender=LeadImage, dispatch_uid="cache_lead_image")
    post_save.connect(photo_changed, sender=Photo, dispatch_uid="cache_photo")
    post_delete.connect(photo_deleted, sender=Photo, dispatch_uid="cache_photo_deleted")
