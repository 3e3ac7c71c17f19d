"""Two people open the same article: the second save is refused, naming who changed it and when."""

from django.contrib.auth.models import User

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
    # Ana's version beside Ed's, with the differences marked: nothing to copy out by hand.
    panel = page.split('id="edit-conflict"')[1].split("</section>")[0]
    assert "Ana Ruiz saved this story at" in panel
    theirs, yours = panel.split('class="conflict-theirs">')[1], panel.split('class="conflict-yours">')[1]
    assert theirs.startswith("<p>Envoy arrives in Beijing</p>")
    assert yours.startswith("<p>Envoy lands in Beijing")
    assert "Envoy <del>arrives</del><ins>lands</ins> in Beijing" in panel
    assert "<del>First draft.</del>" in panel and "<ins>Ed&#x27;s careful rewrite" in panel

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


def test_save_mine_over_theirs_after_seeing_both_keeps_their_publication(
    client, editor, make_user, make_article
):

    from articles import publishing

    article = make_article("Envoy lands in Beijing", body="First draft.", status="draft", published_at=None)
    ana = make_user("ana", "Editor", first_name="Ana", last_name="Ruiz")
    stale = open_as(client, editor, article)
    publishing.publish(article, by=ana)  # Ana publishes while Ed is typing

    stale["body"] = "Ed's rewrite."
    refused = client.post(CHANGE.format(article.pk), stale)
    assert refused.status_code == 200
    form = form_data(refused.content.decode(), "article_form")
    version = refused.content.decode().split('name="_overwrite_version" value="')[1].split('"')[0]
    assert client.post(CHANGE.format(article.pk), {**form, "_overwrite_version": version}).status_code == 302

    article.refresh_from_db()
    assert article.body == "Ed's rewrite."
    assert article.is_public  # Ed's stale form carried "draft"; the story stays as Ana left it


def test_save_over_theirs_is_refused_again_when_a_third_save_came_in_between(
    client, editor, make_user, make_article
):
    from django.test import Client

    article = make_article("Envoy lands in Beijing", body="First draft.")
    ana = Client()
    ana_form = open_as(ana, make_user("ana", "Editor", first_name="Ana"), article)
    stale = open_as(client, editor, article)
    assert ana.post(CHANGE.format(article.pk), {**ana_form, "body": "Ana one."}).status_code == 302
    refused = client.post(CHANGE.format(article.pk), {**stale, "body": "Ed's."}).content.decode()
    version = refused.split('name="_overwrite_version" value="')[1].split('"')[0]
    ana_form = open_as(ana, User.objects.get(username="ana"), article)
    assert ana.post(CHANGE.format(article.pk), {**ana_form, "body": "Ana two."}).status_code == 302

    again = client.post(CHANGE.format(article.pk), {**stale, "body": "Ed's.", "_overwrite_version": version})
    assert again.status_code == 200 and "Ana two." in again.content.decode()
    assert Article.objects.get(pk=article.pk).body == "Ana two."
