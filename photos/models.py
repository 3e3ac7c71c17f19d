"""The image library and the renditions made from it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from photos.checks import ALLOWED_FORMATS


def _original_name(photo, filename):
    # Named by content: a name never reused for another picture, so it may be cached for ever.
    return f"photos/originals/{photo.checksum[:2]}/{photo.checksum[:20]}.{photo.extension}"


def _rendition_name(rendition, filename):
    return f"photos/renditions/{rendition.photo.checksum[:2]}/{filename}"


_SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Photo(models.Model):
    """A picture in the library: the original as stored (upright, no location or camera data),
    what readers are told about it, and the point a crop must keep."""

    file = models.FileField(upload_to=_original_name, max_length=200, editable=False)
    alt_text = models.CharField(
        max_length=250,
        help_text="What the picture shows, for readers who cannot see it. Required.",
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(max_length=200, help_text="Photographer and agency, e.g. Jane Doe/Reuters.")
    source = models.CharField("licence or source", max_length=200, blank=True)
    # Where the subject is, as a share of the width and the height from the top left; crops to a fixed
    # ratio keep it in frame.
    focal_x = models.FloatField(default=0.5, validators=_SHARE)
    focal_y = models.FloatField(default=0.5, validators=_SHARE)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    format = models.CharField(max_length=8, editable=False)
    checksum = models.CharField(max_length=64, editable=False, db_index=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.alt_text

    @property
    def extension(self):
        return ALLOWED_FORMATS[self.format]

    @property
    def focal_point(self):
        return (self.focal_x, self.focal_y)


class Rendition(models.Model):
    """One size, crop and format of a photo, made once and stored under a name that never changes."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=32, help_text="Width, and ratio when cropped: w800, w1200-16x9.")
    format = models.CharField(max_length=8)
    # The focal point it was cut around: moving the point makes new crops, leaving old URLs intact.
    focal = models.CharField(max_length=16)
    file = models.FileField(upload_to=_rendition_name, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(default=0, help_text="Bytes: a feed's enclosure states it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "spec", "format", "focal"], name="one_rendition_per_spec"
            ),
        ]

    def __str__(self):
        return f"{self.photo_id}: {self.spec}.{self.format}"


class LeadImage(models.Model):
    """The picture a story leads with, on its page, its cards, its share card and its feeds."""

    article = models.OneToOneField("articles.Article", on_delete=models.CASCADE, related_name="lead_image")
    # A picture leading a story cannot be deleted from the library until the story leads with another.
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="leads")

    class Meta:
        verbose_name = "lead image"

    def __str__(self):
        return f"{self.photo} leading {self.article}"
