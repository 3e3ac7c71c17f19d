"""Authors' photos: checked when uploaded, and stored once, on save, as readers get them.

An author's photo is one picture with one use (the author's page), so it lives on the Author row
rather than in the picture library (photos/, which articles never imports). The upload is not
stored as sent: it is turned upright and saved again without its metadata (a phone's photo carries
where it was taken), at most ``STORED_SIDE`` pixels on its long side; beside it goes a square
``PORTRAIT_SIDE`` px portrait, cropped around the upper middle where a face usually is, which is
what the page shows (twice its CSS size, for sharp screens). Both are JPEG, stored through Django's
default storage (the filesystem, or the bucket) under names holding a digest of their bytes, so
they can be cached for ever: a new photo is a new name.
"""

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

FOLDER = "authors/"
STORED_SIDE = 1200
PORTRAIT_SIDE = 240
# Head-and-shoulders: keep the top of the picture rather than its exact middle.
PORTRAIT_CENTRE = (0.5, 0.3)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
_JPEG = {"format": "JPEG", "quality": 85, "optimize": True, "progressive": True}


def validate_photo(file):
    """Refuse, with a message for the editor, a file that is too big, not a JPEG, PNG or WebP
    picture, or too many pixels to open safely."""
    if file.size > MAX_UPLOAD_BYTES:
        raise ValidationError(f"The photo is {file.size / 1024 / 1024:.1f} MB; the limit is 10 MB.")
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError):
        raise ValidationError("This file is not a picture we can read (JPEG, PNG or WebP).") from None
    finally:
        file.seek(0)
    if kind not in FORMATS:
        raise ValidationError(f"The photo is {kind}; upload a JPEG, PNG or WebP.")
    if width * height > MAX_PIXELS:
        raise ValidationError(f"The photo is {width} × {height} pixels; at most 40 megapixels, please.")


def portrait_side(width, height):
    """The side of the square portrait made from a stored photo of ``width`` × ``height``: never
    enlarged, so a small photo gives a small portrait."""
    return min(PORTRAIT_SIDE, width, height)


def from_upload(upload, slug):
    """Return ``(photo, portrait)``: two ``ContentFile`` JPEGs made from ``upload`` (an uploaded
    or opened picture file), named after ``slug`` and their bytes, for the Author's two fields."""
    upload.seek(0)
    with Image.open(upload) as opened:
        image = _flattened(ImageOps.exif_transpose(opened))
    image.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    side = portrait_side(*image.size)
    portrait = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=PORTRAIT_CENTRE)
    stem = slug[:60]  # the stored name stays well inside the field's length
    return _jpeg(image, stem), _jpeg(portrait, f"{stem}-portrait")


def _flattened(image):
    """``image`` in RGB; a transparent picture on white, not on the black its hidden pixels hold."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image, stem):
    out = io.BytesIO()
    image.save(out, **_JPEG)  # no exif= given: none of the upload's metadata is written
    data = out.getvalue()
    return ContentFile(data, name=f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}.jpg")
