"""The picture desk in the admin: uploading through the library's checks, the library's list, the
focal point, and who may do what."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from photos.models import Photo, Rendition
from photos.renditions import STANDARD, Spec, renditions

CHANGELIST = "/admin/photos/photo/"
ADD = "/admin/photos/photo/add/"
CHANGE = "/admin/photos/photo/{}/change/"
DELETE = "/admin/photos/photo/{}/delete/"


pytestmark = pytest.mark.usefixtures("media")


def jpeg(width=1600, height=1200, name="envoy.jpg"):
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((20, 20, 220), (width // 2, 0, width, height))  # right half blue: crops differ by side
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def upload(client, file, **fields):
    data = {
        "upload": file,
        "alt_text": "The envoy on the tarmac",
        "caption": "The envoy arrived at dawn.",
        "credit": "Jane Doe/Reuters",
        "source": "Reuters, licensed",
        **fields,
    }
    return client.post(ADD, data)  # multipart, as the browser sends it


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def field_errors(response, name):
    return response.context["adminform"].form.errors.get(name, [])


def test_an_editor_uploads_a_picture_and_it_is_stored_with_its_texts_and_renditions(client, editor, media):
    client.force_login(editor)
    response = upload(client, jpeg())
    photo = Photo.objects.get()
    assert response.status_code == 302 and response.url == CHANGELIST
    assert (photo.alt_text, photo.credit) == ("The envoy on the tarmac", "Jane Doe/Reuters")
    assert photo.uploaded_by == editor
    assert (photo.caption, photo.source) == ("The envoy arrived at dawn.", "Reuters, licensed")
    assert (photo.width, photo.height, photo.format) == (1600, 1200, "JPEG")
    assert photo.file.storage.exists(photo.file.name)
    made = {(r.spec, r.format) for r in photo.renditions.all()}
    assert {(spec.name, "jpeg") for spec in STANDARD} <= made


def test_a_web_page_renamed_jpg_is_refused_on_the_file_field_and_nothing_is_stored(client, editor, media):
    client.force_login(editor)
    fake = SimpleUploadedFile("envoy.jpg", b"<!doctype html><script>alert(1)</script>", "image/jpeg")
    response = upload(client, fake)
    assert response.status_code == 200
    assert any("not a picture Newsroom can read" in error for error in field_errors(response, "upload"))
    assert "not a picture Newsroom can read" in response.content.decode()
    assert not Photo.objects.exists() and not Rendition.objects.exists()
    assert stored_files(media) == []


def test_alt_text_is_required(client, editor, media):
    client.force_login(editor)
    response = upload(client, jpeg(), alt_text="")
    assert response.status_code == 200
    assert field_errors(response, "alt_text") == ["This field is required."]
    assert not Photo.objects.exists() and stored_files(media) == []


def test_the_file_cannot_be_replaced_on_the_change_form(client, editor):
    client.force_login(editor)
    upload(client, jpeg())
    photo = Photo.objects.get()
    page = client.get(CHANGE.format(photo.pk)).content.decode()
    assert 'type="file"' not in page
    data = {"alt_text": "New alt", "caption": "", "credit": "J. Doe", "source": "", "focal_x": "0.5",
            "focal_y": "0.5", "upload": jpeg(800, 600)}  # fmt: skip
    client.post(CHANGE.format(photo.pk), data)
    after = Photo.objects.get()
    assert (after.alt_text, after.width, after.checksum) == ("New alt", 1600, photo.checksum)


def test_the_library_shows_thumbnails_and_search_finds_by_credit(client, editor):
    client.force_login(editor)
    upload(client, jpeg(), credit="Jane Doe/Reuters", alt_text="The envoy on the tarmac")
    upload(client, jpeg(1200, 900), credit="Li Wei/AFP", alt_text="Crowds in Brussels")
    envoy = Photo.objects.get(credit="Jane Doe/Reuters")
    thumbnail = envoy.renditions.get(spec="w320-4x3", format="jpeg")

    page = client.get(CHANGELIST).content.decode()
    img = re.search(rf'<img src="{re.escape(thumbnail.file.url)}" width="(\d+)" height="(\d+)"', page)
    assert thumbnail.file.url.startswith("/media/photos/renditions/")
    assert img and (int(img[1]), int(img[2])) == (160, 120)
    assert "1600 × 1200" in page and "Jane Doe/Reuters" in page

    found = client.get(CHANGELIST + "?q=Jane+Doe").content.decode()
    assert "The envoy on the tarmac" in found and "Crowds in Brussels" not in found
    for query in ("?format__exact=JPEG", f"?uploaded_by__id__exact={editor.pk}", "?uploaded_at__year=2026"):
        assert client.get(CHANGELIST + query).status_code == 200


def test_the_library_filters_pictures_leading_a_story_from_free_ones(client, editor, make_article, lead_with):
    client.force_login(editor)
    upload(client, jpeg(), alt_text="The envoy on the tarmac")
    upload(client, jpeg(1200, 900), alt_text="Crowds in Brussels")
    envoy = Photo.objects.get(alt_text="The envoy on the tarmac")
    for n in range(2):  # one picture, reused by two stories, listed once
        lead_with(make_article(f"Envoy story {n}"), envoy)
    client.get(CHANGELIST)  # the uploads' "was added" messages are shown, and gone

    leading = client.get(CHANGELIST + "?leads=yes").content.decode()
    assert leading.count('class="action-select"') == 1 and "The envoy on the tarmac" in leading
    assert "Crowds in Brussels" not in leading
    free = client.get(CHANGELIST + "?leads=no").content.decode()
    assert "Crowds in Brussels" in free and "The envoy on the tarmac" not in free


def test_a_reporter_may_add_and_change_pictures_but_not_delete_them(client, reporter):
    client.force_login(reporter)
    assert client.get(ADD).status_code == 200
    response = upload(client, jpeg())
    photo = Photo.objects.get()
    assert response.status_code == 302 and photo.uploaded_by == reporter
    assert client.get(CHANGE.format(photo.pk)).status_code == 200
    assert client.get(DELETE.format(photo.pk)).status_code == 403
    assert client.post(DELETE.format(photo.pk), {"post": "yes"}).status_code == 403
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_an_editor_may_delete_a_picture(client, editor):
    client.force_login(editor)
    upload(client, jpeg())
    photo = Photo.objects.get()
    assert client.post(DELETE.format(photo.pk), {"post": "yes"}).status_code == 302
    assert not Photo.objects.exists()


def test_the_change_form_shows_the_picture_to_click_with_the_focal_inputs(client, editor):
    client.force_login(editor)
    upload(client, jpeg())
    photo = Photo.objects.get()
    page = client.get(CHANGE.format(photo.pk)).content.decode()
    preview = photo.renditions.get(spec="w640", format="jpeg")
    assert (preview.width, preview.height) == (640, 480)
    assert f'<img src="{preview.file.url}" width="640" height="480" alt="The envoy on the tarmac"' in page
    for name in ("focal_x", "focal_y"):
        assert re.search(rf'<label[^>]* for="id_{name}"', page)
    assert re.search(r'<input type="number" name="focal_x" value="0.5"', page)
    assert re.search(r'<script src="/static/photos/focal\.[0-9a-f]+\.js"', page)
    assert "<script>" not in page  # the CSP allows no inline script


def test_a_new_focal_point_is_saved_and_new_crops_are_cut_around_it(client, editor):
    client.force_login(editor)
    upload(client, jpeg())
    photo = Photo.objects.get()
    square = Spec(1200, "1x1")
    old = renditions(photo, [square], ["jpeg"])[(square.name, "jpeg")]
    data = {"alt_text": photo.alt_text, "caption": photo.caption, "credit": photo.credit,
            "source": photo.source, "focal_x": "0.9", "focal_y": "0.4"}  # fmt: skip

    response = client.post(CHANGE.format(photo.pk), data)

    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.focal_x, photo.focal_y) == (0.9, 0.4)
    new = renditions(photo, [square], ["jpeg"])[(square.name, "jpeg")]
    assert new.pk != old.pk and new.file.name != old.file.name
    assert Rendition.objects.filter(pk=old.pk).exists() and old.file.storage.exists(old.file.name)
    # The picture is red on the left, blue on the right. The old square was cut from the middle
    # (x 200..1400), the new one against the right edge (x 400..1600): 450 px in, red became blue.
    with old.file.open("rb") as stored:
        assert Image.open(stored).convert("RGB").getpixel((450, 600)) == pytest.approx((200, 40, 40), abs=12)
    with new.file.open("rb") as stored:
        assert Image.open(stored).convert("RGB").getpixel((450, 600)) == pytest.approx((20, 20, 220), abs=12)


def test_a_focal_point_outside_the_picture_is_refused(client, editor):
    client.force_login(editor)
    upload(client, jpeg())
    photo = Photo.objects.get()
    data = {"alt_text": photo.alt_text, "credit": photo.credit, "caption": "", "source": "",
            "focal_x": "1.5", "focal_y": "0.5"}  # fmt: skip
    response = client.post(CHANGE.format(photo.pk), data)
    assert response.status_code == 200 and field_errors(response, "focal_x")
    photo.refresh_from_db()
    assert photo.focal_x == 0.5
