"""Two people open the same article: the second save is refused, naming who changed it and when."""

from articles.models import Article
from tests.formdata import form_data

CHANGE = "/admin/articles/article/{}/change/"


def open_as(client, user, article):
    client.force_login(user)
    return form_data(client.get(CHANGE.format(article.pk)).content.decode(), "article_form")


def test_second_save_from_a_stale_form_is_refused_and_keeps_what_was_typed(
    client, django_user_model, editor, make_user, make_article
):
    from django.test import Client

    article = make_article("Envoy lands in Beijing", body="First draft.")
    other = make_user("ana", "Editor", first_name="Ana", last_name="Ruiz")
    ana, ed = Client(), Client()
    ana_form, ed_form = open_as(ana, other, article), open_as(ed, editor, article)

    ana_form["headline"] = "Envoy arrives in Beijing"
    assert ana.post(CHANGE.format(article.pk), ana_form).status_code == 302

    ed_form["body"] = "Ed's careful rewrite of the whole story."
    response = ed.post(CHANGE.format(article.pk), ed_form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This article was changed by Ana Ruiz at" in page
    assert "since you opened it" in page
    assert "Ed&#x27;s careful rewrite of the whole story." in page  # the form keeps the typing

    article.refresh_from_db()
    assert article.headline == "Envoy arrives in Beijing"  # Ana's save stands
    assert article.body == "First draft."


def test_reloading_after_a_conflict_lets_the_save_through(client, editor, make_user, make_article):
    from django.test import Client

    article = make_article("Envoy lands in Beijing")
    ana = Client()
    ana_form = open_as(ana, make_user("ana", "Editor", first_name="Ana"), article)
    stale = open_as(client, editor, article)
    ana.post(CHANGE.format(article.pk), {**ana_form, "headline": "Ana's headline"})
    assert client.post(CHANGE.format(article.pk), {**stale, "dek": "Ed's dek"}).status_code == 200

    fresh = open_as(client, editor, article)
    assert client.post(CHANGE.format(article.pk), {**fresh, "dek": "Ed's dek"}).status_code == 302
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Ana's headline", "Ed's dek")


def test_a_form_without_its_version_is_treated_as_stale(client, editor, make_article):
    article = make_article("Envoy lands in Beijing")
    form = open_as(client, editor, article)
    form.pop("opened_version")
    form["headline"] = "Forged"
    assert client.post(CHANGE.format(article.pk), form).status_code == 200
    assert Article.objects.get(pk=article.pk).headline == "Envoy lands in Beijing"
