"""Adding several pictures at once in the picture desk: a row each (file, alt text, caption), one
credit and licence for all; all or nothing, and never a picture without alt text."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from photos.models import Photo, Rendition
from photos.renditions import STANDARD

SEVERAL = "/admin/photos/photo/add-several/"
CHANGELIST = "/admin/photos/photo/"

pytestmark = pytest.mark.usefixtures("media")


def jpeg(name, color=(200, 40, 40)):
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), color).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def post(client, rows, credit="Jane Doe/Reuters", source="Reuters, licensed"):
    data = {
        "shared-credit": credit,
        "shared-source": source,
        "rows-TOTAL_FORMS": "5",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "5",
    }
    for n, row in enumerate(rows):
        for name, value in row.items():
            data[f"rows-{n}-{name}"] = value
    return client.post(SEVERAL, data)  # multipart, as the browser sends it


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def row_errors(response, n, name):
    return response.context["rows"].forms[n].errors.get(name, [])


def test_the_changelist_offers_adding_several_pictures(client, editor):
    client.force_login(editor)
    page = client.get(CHANGELIST).content.decode()
    assert f'href="{SEVERAL}"' in page and "Add several pictures" in page


def test_three_pictures_in_one_post_are_stored_with_their_alt_texts_and_the_shared_credit(client, editor):
    client.force_login(editor)
    response = post(
        client,
        [
            {"upload": jpeg("tarmac.jpg"), "alt_text": "The envoy on the tarmac", "caption": "At dawn."},
            {"upload": jpeg("talks.jpg", (20, 20, 200)), "alt_text": "Delegations at the table"},
            {},  # an empty row in between is ignored
            {"upload": jpeg("press.jpg", (20, 200, 20)), "alt_text": "Reporters outside the hall"},
        ],
    )

    photos = Photo.objects.order_by("pk")
    assert response.status_code == 302
    assert response.url == f"{CHANGELIST}?id__in={','.join(str(p.pk) for p in photos)}"
    assert [p.alt_text for p in photos] == [
        "The envoy on the tarmac",
        "Delegations at the table",
        "Reporters outside the hall",
    ]
    assert [p.caption for p in photos] == ["At dawn.", "", ""]
    assert {(p.credit, p.source, p.uploaded_by) for p in photos} == {
        ("Jane Doe/Reuters", "Reuters, licensed", editor)
    }
    for photo in photos:
        made = {(r.spec, r.format) for r in photo.renditions.all()}
        assert {(spec.name, "jpeg") for spec in STANDARD} <= made
    listed = client.get(response.url)
    assert "3 pictures were added." in listed.content.decode()
    assert list(listed.context["cl"].result_list) == list(photos.order_by("-uploaded_at", "-pk"))


def test_a_row_without_alt_text_is_refused_and_nothing_is_stored(client, editor, media):
    client.force_login(editor)
    response = post(
        client,
        [
            {"upload": jpeg("tarmac.jpg"), "alt_text": "The envoy on the tarmac"},
            {"upload": jpeg("talks.jpg"), "alt_text": "  "},
        ],
    )
    assert response.status_code == 200
    assert row_errors(response, 1, "alt_text") == ["Alt text is required: say what the picture shows."]
    assert row_errors(response, 0, "alt_text") == []
    assert "Alt text is required" in response.content.decode()
    assert not Photo.objects.exists() and not Rendition.objects.exists()
    assert stored_files(media) == []


def test_an_svg_renamed_jpg_is_refused_on_its_row_and_nothing_is_stored(client, editor, media):
    client.force_login(editor)
    svg = SimpleUploadedFile(
        "chart.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/jpeg"
    )
    response = post(
        client,
        [
            {"upload": jpeg("tarmac.jpg"), "alt_text": "The envoy on the tarmac"},
            {"upload": svg, "alt_text": "A chart of trade"},
        ],
    )
    assert response.status_code == 200
    assert any("not a picture Newsroom can read" in error for error in row_errors(response, 1, "upload"))
    assert row_errors(response, 0, "upload") == []
    assert not Photo.objects.exists() and stored_files(media) == []


def test_alt_text_without_a_file_and_an_empty_form_are_refused(client, editor):
    client.force_login(editor)
    orphan = post(client, [{"alt_text": "The envoy on the tarmac"}])
    assert row_errors(orphan, 0, "upload") == ["Choose the picture for this row, or empty the row."]
    empty = post(client, [])
    assert "Choose at least one picture." in empty.content.decode()
    missing_credit = post(client, [{"upload": jpeg("a.jpg"), "alt_text": "The envoy"}], credit="")
    assert missing_credit.context["shared"].errors["credit"] == ["This field is required."]
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_a_user_without_add_permission_is_refused(client):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(SEVERAL).status_code == 403
    assert post(client, [{"upload": jpeg("a.jpg"), "alt_text": "The envoy"}]).status_code == 403
    assert not Photo.objects.exists()
