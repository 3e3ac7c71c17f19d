"""Renditions: a photo in the widths, crops and formats the pages need, made once and stored.

A ``Spec`` names a width and, for surfaces with a fixed shape, a ratio (16:9, 4:3, 1:1) cropped
around the photo's focal point. Each is made in AVIF and WebP for ``<picture>`` sources and JPEG as
the fallback (and for feeds, JSON-LD and share cards, which want JPEG). A rendition is made the first
time it is asked for, or for the standard set on upload, under a lock on the photo's row, so two
workers never make the same one; it is stored through Django's storage API (the filesystem, or a
bucket) under a name that holds a digest of its bytes, so it can be cached for ever.
"""

import hashlib
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps

from photos.models import Photo, Rendition
from photos.signals import renditions_made

RATIOS = {"16x9": (16, 9), "4x3": (4, 3), "1x1": (1, 1)}
FORMATS = ("avif", "webp", "jpeg")
_ENCODER = {
    "avif": ("AVIF", {"quality": 55, "speed": 8}),
    "webp": ("WEBP", {"quality": 78, "method": 4}),
    "jpeg": ("JPEG", {"quality": 80, "optimize": True, "progressive": True}),
}


@dataclass(frozen=True)
class Spec:
    width: int
    ratio: str | None = None

    @property
    def name(self):
        return f"w{self.width}" + (f"-{self.ratio}" if self.ratio else "")

    @classmethod
    def parse(cls, name):
        width, _, ratio = name.removeprefix("w").partition("-")
        if not width.isdigit() or (ratio and ratio not in RATIOS):
            raise ValueError(f"“{name}” is not a rendition spec")
        return cls(int(width), ratio or None)


# What the pages ask for, made on upload: cards (4:3), the article's lead (16:9), and the 1,200 px
# crops in every ratio that search engines want. Anything else is made on first request.
STANDARD = [
    *(Spec(width, "16x9") for width in (480, 960, 1440)),
    *(Spec(width, "4x3") for width in (320, 640)),
    Spec(1200, "16x9"),
    Spec(1200, "4x3"),
    Spec(1200, "1x1"),
]
# A picture in a story's body keeps its own shape; made when a body first names it.
INLINE = [Spec(width) for width in (480, 960, 1440)]


def crop_box(width, height, ratio, focal):
    """The largest box of ``ratio`` inside a ``width`` x ``height`` picture, centred on ``focal``
    (shares of width and height) as far as the edges allow: (left, top, right, bottom)."""
    ratio_w, ratio_h = RATIOS[ratio]
    box_w, box_h = width, round(width * ratio_h / ratio_w)
    if box_h > height:
        box_w, box_h = round(height * ratio_w / ratio_h), height
    left = min(max(round(focal[0] * width - box_w / 2), 0), width - box_w)
    top = min(max(round(focal[1] * height - box_h / 2), 0), height - box_h)
    return (left, top, left + box_w, top + box_h)


def render(image, spec, fmt, focal):
    """``image`` (an upright PIL image) cut and scaled to ``spec`` and encoded as ``fmt``: (bytes,
    width, height). Never enlarged: a small original gives a small rendition."""
    if spec.ratio:
        image = image.crop(crop_box(image.width, image.height, spec.ratio, focal))
    if image.width > spec.width:
        height = max(1, round(image.height * spec.width / image.width))
        image = image.resize((spec.width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
    pil_format, options = _ENCODER[fmt]
    if fmt == "jpeg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    out = io.BytesIO()
    image.save(out, format=pil_format, **options)
    return out.getvalue(), image.width, image.height


def focal_key(photo):
    return f"{photo.focal_x:.3f},{photo.focal_y:.3f}"


def _open(photo, largest):
    """The photo's original, decoded no larger than it needs to be for ``largest`` px wide."""
    with photo.file.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
    if image.format == "JPEG":
        # Let the JPEG decoder scale down by a power of two: a 4,000 px original read at 2,000 px
        # costs a quarter of the work.
        image.draft("RGB", (largest, round(largest * image.height / image.width)))
    return ImageOps.exif_transpose(image)


def renditions(photo, specs, formats=FORMATS):
    """The renditions of ``photo`` for every spec in ``specs`` and format in ``formats``, made and
    stored where missing; by (spec name, format)."""
    focal = focal_key(photo)
    wanted = {(spec.name, fmt) for spec in specs for fmt in formats}
    found = _stored(photo, wanted, focal)
    if len(found) == len(wanted):
        return found
    with transaction.atomic():
        # Another worker making this photo's renditions holds the row: wait, then use its work.
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        found = _stored(photo, wanted, focal)
        missing = [(spec, fmt) for spec in specs for fmt in formats if (spec.name, fmt) not in found]
        if missing:
            image = _open(photo, max(spec.width for spec, _ in missing))
            for spec, fmt in missing:
                data, width, height = render(image, spec, fmt, photo.focal_point)
                digest = hashlib.sha256(data).hexdigest()[:12]
                rendition = Rendition(
                    photo=photo,
                    spec=spec.name,
                    format=fmt,
                    focal=focal,
                    width=width,
                    height=height,
                    size=len(data),
                )
                extension = "jpg" if fmt == "jpeg" else fmt
                rendition.file.save(
                    f"{photo.checksum[:12]}-{spec.name}-{digest}.{extension}", ContentFile(data), save=False
                )
                rendition.save()
                found[(spec.name, fmt)] = rendition
            renditions_made(photo)
    return found


def _stored(photo, wanted, focal):
    rows = Rendition.objects.filter(photo=photo, focal=focal)
    return {(r.spec, r.format): r for r in rows if (r.spec, r.format) in wanted}
