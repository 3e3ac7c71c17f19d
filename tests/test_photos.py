"""The picture desk's library: what an upload must be, what is stored, and the renditions made."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from photos.checks import MAX_UPLOAD_BYTES, ImageRefused, check_upload
from photos.library import add_photo
from photos.models import Photo, Rendition
from photos.renditions import FORMATS, STANDARD, Spec, crop_box, renditions

GPS_IFD = 0x8825
ORIENTATION = 0x0112
CAMERA_MODEL = 0x0110


pytestmark = pytest.mark.usefixtures("media")


def picture(width=1600, height=1200, fmt="JPEG", exif=None, color=(200, 40, 40)):
    image = Image.new("RGB", (width, height), color)
    # A marker in the top-left quarter, so a test can tell which way up the stored picture is.
    image.paste((20, 20, 220), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **options)
    out.seek(0)
    return out


def camera_exif(orientation=1):
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[CAMERA_MODEL] = "Newsroom Test Camera"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}  # Beijing
    return exif


def stored_files(media):
    return sorted(path.name for path in media.rglob("*") if path.is_file()) if media.exists() else []


def add(file, **fields):
    alt_text = fields.pop("alt_text", "The envoy on the tarmac")
    return add_photo(file, alt_text=alt_text, credit="Ana Ruiz/Desk", **fields)


# What is stored.


def test_a_photo_taken_sideways_is_stored_upright_without_location_or_camera(db, media):
    photo = add(picture(1600, 1200, exif=camera_exif(orientation=6)))  # "rotate 90° clockwise to view"
    assert (photo.width, photo.height) == (1200, 1600)
    with photo.file.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    assert image.size == (1200, 1600)
    exif = image.getexif()
    assert GPS_IFD not in exif and CAMERA_MODEL not in exif and exif.get(ORIENTATION, 1) == 1
    assert b"Newsroom Test Camera" not in photo.file.open("rb").read()
    # The marker that was top left in the sensor's frame is top right once upright.
    assert image.getpixel((1200 - 10, 10)) == pytest.approx((20, 20, 220), abs=8)


def test_a_clean_upload_is_stored_byte_for_byte(db):
    original = picture(fmt="PNG").getvalue()
    photo = add(io.BytesIO(original))
    assert photo.file.open("rb").read() == original
    assert photo.format == "PNG" and photo.file.name.endswith(".png")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF"])
def test_every_allowed_format_is_accepted(db, fmt):
    photo = add(picture(800, 600, fmt=fmt))
    assert photo.format == fmt and (photo.width, photo.height) == (800, 600)


# What is refused, with nothing stored.


def html_renamed():
    return io.BytesIO(b"<!doctype html><html><script>alert(1)</script></html>")


def svg_renamed():
    return io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10"/></svg>')


def truncated_jpeg():
    return io.BytesIO(picture().getvalue()[:3000])


def png_bomb():
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")  # 400 megapixels in a few kB
    out.seek(0)
    return out


def gif():
    return picture(fmt="GIF")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (html_renamed, "not a picture Newsroom can read"),
        (svg_renamed, "not a picture Newsroom can read"),
        (truncated_jpeg, "damaged"),
        (png_bomb, "megapixels"),
        (gif, "GIF files are not accepted"),
    ],
    ids=["html-renamed-jpg", "svg", "truncated", "png-bomb", "gif"],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_stored(db, media, upload, message):
    with pytest.raises(ImageRefused, match=message):
        add(upload())
    assert Photo.objects.count() == 0 and Rendition.objects.count() == 0
    assert stored_files(media) == []


def test_a_200_mb_file_is_refused_before_it_is_read(db, media, tmp_path):
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written to disk
    assert os.path.getsize(huge) > MAX_UPLOAD_BYTES
    with open(huge, "rb") as file, pytest.raises(ImageRefused, match="200 MB"):
        add(file)
    assert stored_files(media) == []


def test_a_photo_without_alt_text_or_credit_is_refused(db, media):
    with pytest.raises(ValidationError, match="alt_text"):
        add(picture(), alt_text="  ")
    with pytest.raises(ValidationError, match="credit"):
        add_photo(picture(), alt_text="The envoy", credit="")
    assert Photo.objects.count() == 0 and stored_files(media) == []


def test_check_upload_alone_reads_the_real_format_not_the_name(db):
    checked = check_upload(picture(fmt="WEBP"))
    assert (checked.format, checked.extension) == ("WEBP", "webp")


# Renditions.


def test_the_standard_renditions_are_made_on_upload_in_every_format(db):
    photo = add(picture(4000, 3000, exif=camera_exif()))
    made = Rendition.objects.filter(photo=photo)
    assert made.count() == len(STANDARD) * len(FORMATS)
    lead = made.get(spec="w960-16x9", format="avif")
    assert (lead.width, lead.height) == (960, 540)
    with lead.file.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "AVIF" and image.size == (960, 540)
    for rendition in made.filter(format="jpeg"):
        with rendition.file.open("rb") as stored:
            image = Image.open(stored)
            assert image.format == "JPEG" and not image.getexif()
    square = made.get(spec="w1200-1x1", format="jpeg")
    assert (square.width, square.height) == (1200, 1200)


def test_a_rendition_is_made_once_and_never_enlarged(db):
    photo = add(picture(500, 400, fmt="PNG"))
    first = renditions(photo, [Spec(2000)], ["webp"])[("w2000", "webp")]
    again = renditions(photo, [Spec(2000)], ["webp"])[("w2000", "webp")]
    assert first.pk == again.pk
    assert (first.width, first.height) == (500, 400)
    assert Rendition.objects.filter(photo=photo, spec="w2000").count() == 1


def test_crops_keep_the_focal_point_in_frame():
    # A 4:3 picture cut to 1:1 with the subject at the right edge keeps the right-hand square.
    assert crop_box(4000, 3000, "1x1", (0.95, 0.5)) == (1000, 0, 4000, 3000)
    assert crop_box(4000, 3000, "1x1", (0.05, 0.5)) == (0, 0, 3000, 3000)
    assert crop_box(4000, 3000, "16x9", (0.5, 0.0)) == (0, 0, 4000, 2250)
    assert crop_box(4000, 3000, "16x9", (0.5, 0.5)) == (0, 375, 4000, 2625)


def test_moving_the_focal_point_makes_new_crops_and_keeps_the_old_ones(db):
    photo = add(picture(4000, 3000))
    before = renditions(photo, [Spec(1200, "1x1")], ["jpeg"])[("w1200-1x1", "jpeg")]
    photo.focal_x = 0.9
    photo.save()
    after = renditions(photo, [Spec(1200, "1x1")], ["jpeg"])[("w1200-1x1", "jpeg")]
    assert after.pk != before.pk and after.file.name != before.file.name
    assert before.file.storage.exists(before.file.name)
