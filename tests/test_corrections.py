"""Corrections: added by editors, shown on the article with their dates, moving its updated time."""

from datetime import timedelta

from articles.models import Correction
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"


def test_editor_adds_a_correction_inline_and_readers_see_it(client, editor, make_article, time_machine):
    article = make_article("Envoy lands in Beijing")
    published = article.updated_at
    time_machine.move_to(published + timedelta(hours=2))
    client.force_login(editor)
    data = form_data(client.get(CHANGE.format(article.pk)).content.decode(), "article_form")
    data.update(
        {
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-date_0": "2026-11-26",
            "corrections-0-date_1": "10:00:00",
            "corrections-0-text": "An earlier version gave the wrong date for the visit.",
        }
    )
    assert client.post(CHANGE.format(article.pk), data).status_code == 302
    article.refresh_from_db()
    assert article.updated_at > published
    client.logout()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "An earlier version gave the wrong date for the visit." in page
    assert '<time datetime="2026-11-26T10:00:00+00:00">26 November 2026</time>' in page
    assert "Updated <time" in page


def test_reporter_gets_no_correction_form(client, reporter, make_article):
    from articles.models import Status

    draft = make_article("Draft", status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    page = client.get(CHANGE.format(draft.pk)).content.decode()
    assert 'name="corrections-MAX_NUM_FORMS" value="0"' in page  # shown read-only, nothing to add
    data = form_data(page, "article_form")
    data.update({"corrections-TOTAL_FORMS": "1", "corrections-INITIAL_FORMS": "0",
                 "corrections-0-date_0": "2026-11-26", "corrections-0-date_1": "10:00:00",
                 "corrections-0-text": "Forged correction"})  # fmt: skip
    client.post(CHANGE.format(draft.pk), data)
    assert not Correction.objects.exists()
