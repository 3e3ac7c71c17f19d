"""The picture desk in a real browser: an editor uploads a picture and sets its focal point by
clicking it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from photos.models import Photo
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media")


def test_editor_uploads_a_picture_and_clicks_its_focal_point_near_the_right_edge(
    page, live_server, admin_login, failure_screenshots, editor, tmp_path
):
    picture = tmp_path / "envoy.jpg"
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 40, 40)).save(out, format="JPEG")
    picture.write_bytes(out.getvalue())
    admin_login(page, live_server, editor.username, PASSWORD)
    failure_screenshots.watch(page, "photo-page")

    page.goto("/admin/photos/photo/add/")
    page.locator("#id_upload").set_input_files(picture)
    page.get_by_label("Alt text").fill("The envoy on the tarmac")
    page.get_by_label("Credit").fill("Jane Doe/Reuters")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    photo = Photo.objects.get()
    assert (photo.alt_text, photo.uploaded_by) == ("The envoy on the tarmac", editor)

    page.goto(f"/admin/photos/photo/{photo.pk}/change/")
    shown = page.locator(".focal-picker img")
    box = shown.bounding_box()
    shown.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.5})
    across = page.get_by_label("Focal point, across")
    expect(across).not_to_have_value("0.5")
    assert float(across.input_value()) == pytest.approx(0.9, abs=0.02)
    expect(page.locator(".focal-marker")).to_have_attribute("style", re.compile(r"left: (8[89]|9[012])\b"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")

    photo.refresh_from_db()
    assert photo.focal_x > 0.7 and photo.focal_y == pytest.approx(0.5, abs=0.05)
