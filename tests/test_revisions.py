"""Every save keeps a revision: who, when, what changed; and a revision can be restored."""

import re

from django.test import Client

from articles import publishing
from articles.models import Article, Status
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"
HISTORY = "/admin/articles/article/{}/history/"
REVERT_FORM = "historicalarticle_form"


def save_through_admin(client, article, **changes):
    data = form_data(client.get(CHANGE.format(article.pk)).content.decode(), "article_form")
    data.update(changes)
    response = client.post(CHANGE.format(article.pk), data)
    assert response.status_code == 302, response.content.decode()[:500]


def test_each_save_is_a_revision_with_who_when_and_a_field_diff(client, editor, make_article):
    article = make_article("Envoy lands", dek="Old dek.")
    client.force_login(editor)
    save_through_admin(client, article, headline="Envoy lands in Beijing")
    save_through_admin(client, article, dek="New dek.")

    assert article.history.count() == 3  # created, then two admin saves
    page = client.get(HISTORY.format(article.pk)).content.decode()
    assert page.count(">ed<") + page.count(">Ed Moss<") >= 2  # who
    assert "Envoy lands" in page and "Envoy lands in Beijing" in page
    assert "<strong>headline:</strong>" in page.lower() or "<strong>Headline:</strong>" in page
    assert "Old dek." in page and "New dek." in page


def test_restoring_a_revision_brings_its_text_back(client, editor, make_article):
    article = make_article("Envoy lands", body="The original text.")
    client.force_login(editor)
    save_through_admin(client, article, body="A rewrite that went wrong.")
    original = article.history.order_by("history_date").first()

    url = f"/admin/articles/article/{article.pk}/history/{original.history_id}/"
    data = form_data(client.get(url).content.decode(), REVERT_FORM)
    assert data["body"] == "The original text."
    assert client.post(url, data).status_code == 302

    article.refresh_from_db()
    assert article.body == "The original text."
    assert article.body_html == "<p>The original text.</p>\n"  # rendered again on save
    assert article.history.count() == 3


def test_restoring_never_publishes_on_a_reporters_behalf(client, reporter, editor, make_article):
    article = make_article("Envoy lands")  # published: its first revision is a published one
    published_revision = article.history.get()
    publishing.unpublish(article, by=editor)

    client.force_login(reporter)
    url = f"/admin/articles/article/{article.pk}/history/{published_revision.history_id}/"
    data = form_data(client.get(url).content.decode(), REVERT_FORM)
    assert data["status"] != Status.PUBLISHED  # the reporter's form cannot offer it

    data["status"] = Status.PUBLISHED  # and a forged one is refused
    response = client.post(url, data)
    assert response.status_code == 200
    problems = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert "Only an editor can publish or schedule an article." in str(problems)
    article.refresh_from_db()
    assert article.status == Status.DRAFT and not article.is_public


def test_restore_from_a_stale_history_form_is_a_conflict(client, editor, make_user, make_article):
    article = make_article("Envoy lands", body="One.")
    client.force_login(editor)
    save_through_admin(client, article, body="Two.")
    first = article.history.order_by("history_date").first()
    url = f"/admin/articles/article/{article.pk}/history/{first.history_id}/"
    stale = form_data(client.get(url).content.decode(), REVERT_FORM)

    other = Client()
    other.force_login(make_user("ana", "Editor", first_name="Ana", last_name="Ruiz"))
    save_through_admin(other, article, body="Three, by Ana.")

    response = client.post(url, stale)
    assert "This article was changed by Ana Ruiz" in response.content.decode()
    assert Article.objects.get(pk=article.pk).body == "Three, by Ana."
