"""A story's lead image, chosen in the article form from the library (photos beside articles)."""

import io

import pytest
from PIL import Image

from articles import publishing
from photos.library import add_photo
from photos.models import LeadImage
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"


pytestmark = pytest.mark.usefixtures("media")


def a_photo():
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 90, 90)).save(out, format="JPEG")
    out.seek(0)
    return add_photo(out, alt_text="The envoy on the tarmac", credit="Ana Ruiz/Desk")


@pytest.mark.django_db(transaction=True)
def test_an_editor_gives_a_public_story_its_lead_image_and_it_is_announced(client, editor, make_article):
    story = make_article("Envoy lands in Beijing")
    publishing.release_due()
    photo = a_photo()
    heard = []

    def listen(sender, article, changes, **kwargs):
        heard.append(changes)

    publishing.story_changed.connect(listen)
    try:
        client.force_login(editor)
        url = CHANGE.format(story.pk)
        page = client.get(url).content.decode()
        assert "lead image" in page.lower()
        data = form_data(page, "article_form")
        data["lead_image-TOTAL_FORMS"] = "1"
        data["lead_image-0-photo"] = str(photo.pk)
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    finally:
        publishing.story_changed.disconnect(listen)
    assert LeadImage.objects.get(article=story).photo == photo
    assert heard == [frozenset({"image"})]


@pytest.mark.django_db
def test_a_picture_leading_a_story_cannot_be_deleted_from_the_library(make_article):
    from django.db.models import ProtectedError

    lead = LeadImage.objects.create(article=make_article(), photo=a_photo())
    with pytest.raises(ProtectedError):
        lead.photo.delete()
