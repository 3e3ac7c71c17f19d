"""``{{ article|lead_image_loc }}``: the address of a story's lead picture for Google's image
sitemap extension, or "" for a story without one (and for the sections and tags that share the
sitemap template).

It reads only a picture already attached to the story (``attach_lead_pictures``, once for the
whole sitemap page), never fetches one: a sitemap of 50,000 URLs must not cost a query per URL.
"""

from django import template

from articles.addresses import absolute_media
from articles.sitemaps import SITEMAP_IMAGE_RATIO

register = template.Library()


@register.filter
def lead_image_loc(item):
    picture = getattr(item, "__dict__", {}).get("lead_picture")
    image = picture.largest(SITEMAP_IMAGE_RATIO) if picture else None
    return absolute_media(image.url) if image else ""
