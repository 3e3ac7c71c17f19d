"""What an upload must be before it is stored: a real image in an allowed format, of a sane size,
upright, with no location or camera metadata left in the file readers get.

Pillow reads every upload. A file is refused with a message an editor can act on, and nothing is
stored: an SVG or HTML page renamed ``.jpg``, a corrupt file, a decompression bomb, a file over
``MAX_UPLOAD_BYTES``.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format names, and the extension each is stored under. No SVG: it can carry script.
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
# 60 megapixels: a 9,000 x 6,600 frame from a professional camera fits; a PNG that inflates to
# gigabytes of memory does not.
MAX_PIXELS = 60_000_000
# EXIF, XMP and IPTC keys Pillow exposes in ``info``: GPS position, camera serial numbers, the
# photographer's software. Any of them means the file is written anew without them.
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "iptc", "photoshop", "comment")


class ImageRefused(ValidationError):
    """An upload that is not stored; the message says why, for the editor."""


@dataclass(frozen=True)
class CheckedImage:
    """An upload as it will be stored: its bytes, format, extension and pixel size."""

    data: bytes
    format: str
    extension: str
    width: int
    height: int

    @property
    def checksum(self):
        return hashlib.sha256(self.data).hexdigest()


def check_upload(file):
    """Read ``file`` (an uploaded file or any binary file object) and return a ``CheckedImage``, or
    raise ``ImageRefused``. The stored bytes are the upload's own when it is already upright and free
    of metadata (so an export and re-import give back the same file), else the picture re-encoded
    upright without them."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    if size > MAX_UPLOAD_BYTES:
        raise ImageRefused(
            f"The file is {size / 1024 / 1024:,.0f} MB; a picture can be at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Export it smaller and upload it again."
        )
    file.seek(0)
    data = file.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                named = image.format or "This kind of"
                raise ImageRefused(f"{named} files are not accepted: upload a JPEG, PNG, WebP or AVIF file.")
            if image.width * image.height > MAX_PIXELS:
                raise _too_large(image)
            image.load()  # decodes the whole picture: a truncated or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(
            f"The picture would take more than {MAX_PIXELS // 1_000_000} megapixels in memory; it is refused."
        ) from None
    except UnidentifiedImageError:
        raise ImageRefused(
            "This is not a picture Newsroom can read (is it an SVG, a web page or a document renamed?). "
            "Upload a JPEG, PNG, WebP or AVIF file."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRefused(f"The picture is damaged and cannot be read ({error}).") from None
    return _cleaned(image, data)


def _too_large(image):
    return ImageRefused(
        f"The picture is {image.width:,} x {image.height:,} pixels; at most "
        f"{MAX_PIXELS // 1_000_000} megapixels are accepted."
    )


def _cleaned(image, data):
    extension = ALLOWED_FORMATS[image.format]
    orientation = image.getexif().get(0x0112, 1)
    carries_metadata = any(key in image.info for key in _METADATA_KEYS) or bool(image.getexif())
    if orientation == 1 and not carries_metadata:
        return CheckedImage(data, image.format, extension, image.width, image.height)
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    options = {"icc_profile": image.info.get("icc_profile")} if image.info.get("icc_profile") else {}
    if image.format == "JPEG":
        options.update(quality=92, optimize=True, progressive=True)
        upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
    elif image.format in ("WEBP", "AVIF"):
        options.update(quality=90)
    upright.save(out, format=image.format, **options)  # no exif= and no xmp=: both are left out
    return CheckedImage(out.getvalue(), image.format, extension, upright.width, upright.height)
