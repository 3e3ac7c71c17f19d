"""Adding several pictures at once in a real browser: two files, each with its alt text, one credit."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from photos.models import Photo
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("media")


def jpeg_file(path, color):
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), color).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_editor_adds_two_pictures_in_one_go(
    page, live_server, admin_login, failure_screenshots, editor, tmp_path
):
    tarmac = jpeg_file(tmp_path / "tarmac.jpg", (200, 40, 40))
    talks = jpeg_file(tmp_path / "talks.jpg", (20, 20, 200))
    admin_login(page, live_server, editor.username, PASSWORD)
    failure_screenshots.watch(page, "several-pictures")

    page.goto("/admin/photos/photo/")
    page.get_by_role("link", name="Add several pictures").click()
    page.get_by_label("Credit").fill("Jane Doe/Reuters")
    page.get_by_label("Picture 1", exact=True).set_input_files(tarmac)
    page.get_by_label("Alt text 1", exact=True).fill("The envoy on the tarmac")
    page.get_by_label("Caption 1", exact=True).fill("The envoy arrived at dawn.")
    page.get_by_label("Picture 2", exact=True).set_input_files(talks)
    page.get_by_label("Alt text 2", exact=True).fill("Delegations at the table")
    page.get_by_role("button", name="Add these pictures").click()

    expect(page.locator("ul.messagelist")).to_contain_text("2 pictures were added.")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    photos = Photo.objects.order_by("pk")
    assert [(p.alt_text, p.credit) for p in photos] == [
        ("The envoy on the tarmac", "Jane Doe/Reuters"),
        ("Delegations at the table", "Jane Doe/Reuters"),
    ]
    assert photos[0].caption == "The envoy arrived at dawn."
