"""The picture source behind articles.pictures: stories' lead pictures and the pictures their bodies
name, as articles' ``Picture`` values, so articles renders them without importing this app."""

from functools import cache
from itertools import groupby
from operator import attrgetter

from django.db.models import F

from articles.pictures import Picture, Version, register_source
from photos.models import Photo, Rendition
from photos.renditions import INLINE, STANDARD, focal_key, renditions

_RATIO_OF = {spec.name: spec.ratio for spec in (*STANDARD, *INLINE)}


def _spec_names(ratios):
    wanted = set(ratios)
    return [name for name, ratio in _RATIO_OF.items() if ratio in wanted]


def as_picture(photo, stored):
    """``photo`` with those of its ``stored`` renditions cut around its current focal point."""
    focal = focal_key(photo)
    versions = tuple(
        Version(
            url=rendition.file.url,
            width=rendition.width,
            height=rendition.height,
            format=rendition.format,
            ratio=_RATIO_OF[rendition.spec],
            size=rendition.size,
        )
        for rendition in stored
        if rendition.focal == focal
    )
    return Picture(
        id=photo.pk,
        alt=photo.alt_text,
        caption=photo.caption,
        credit=photo.credit,
        width=photo.width,
        height=photo.height,
        versions=versions,
    )


class PictureDesk:
    def lead_pictures(self, article_ids, ratios):
        # One query: each leading photo's renditions in the wanted shapes, with the story it leads.
        rows = (
            Rendition.objects.filter(photo__leads__article_id__in=article_ids, spec__in=_spec_names(ratios))
            .annotate(story_id=F("photo__leads__article_id"))
            .select_related("photo")
            .order_by("story_id", "spec", "format")
        )
        found = {}
        for story_id, stored in groupby(rows, key=attrgetter("story_id")):
            stored = list(stored)
            found[story_id] = as_picture(stored[0].photo, stored)
        return found

    def largest_lead_images(self, article_ids, ratio, fmt="jpeg"):
        # Rows, not models: a sitemap page asks this for 10,000 stories (``article_ids`` may be a
        # query of them, sent as a subquery rather than 10,000 parameters).
        rows = Rendition.objects.filter(
            photo__leads__article_id__in=article_ids, spec__in=_spec_names([ratio]), format=fmt
        ).values_list(
            "photo__leads__article_id", "width", "file", "focal", "photo__focal_x", "photo__focal_y"
        )
        widest = {}
        for story_id, width, name, focal, focal_x, focal_y in rows:
            current = focal == f"{focal_x:.3f},{focal_y:.3f}"  # focal_key(photo), from the row
            if current and width > widest.get(story_id, (0, ""))[0]:
                widest[story_id] = (width, name)
        url = cache(Rendition._meta.get_field("file").storage.url)  # stories sharing a photo
        return {story_id: url(name) for story_id, (_, name) in widest.items()}

    def pictures(self, picture_ids, ratios):
        specs = [spec for spec in (*STANDARD, *INLINE) if spec.ratio in set(ratios)]
        found = {}
        for photo in Photo.objects.filter(pk__in=picture_ids):
            # Made now if this is the first body to show it: a save, never a reader's request.
            found[photo.pk] = as_picture(photo, renditions(photo, specs).values())
        return found


register_source(PictureDesk())
