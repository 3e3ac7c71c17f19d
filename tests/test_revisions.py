"""Every save keeps a revision: who, when, what changed; and a revision can be restored."""

import re

from django.test import Client

from articles import publishing
from articles.models import Article, ArticleAuthor, Status
from photos.models import LeadImage
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
    assert "<strong>Headline:</strong> <p>Envoy lands<ins> in Beijing</ins></p>" in page
    assert "<del>Old</del><ins>New</ins> dek." in page  # the changed word, inside its sentence


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


def test_the_comparison_marks_changed_words_inside_a_paragraph(client, editor, make_article):
    first = "The envoy met the minister on Tuesday."
    second = "Talks covered trade, <b>tariffs</b> and fentanyl."
    article = make_article("Envoy lands", body=f"{first}\n\n{second}")
    client.force_login(editor)
    changed = second.replace("trade", "export controls")
    save_through_admin(client, article, body=f"{first}\n\n{changed}\n\nA new closing paragraph.")

    page = client.get(HISTORY.format(article.pk)).content.decode()
    body = page.split("<strong>Body:</strong>")[1].split("</div>")[0]
    assert '<p class="unchanged">…</p>' in body  # the first paragraph is not repeated
    assert "<p>Talks covered <del>trade</del><ins>export controls</ins>, &lt;b&gt;tariffs&lt;/b&gt;" in body
    assert "<p><ins>A new closing paragraph.</ins></p>" in body
    assert "The envoy met the minister" not in body


def test_a_what_changed_note_is_kept_with_the_revision(client, editor, make_article):
    article = make_article("Envoy lands")
    client.force_login(editor)
    save_through_admin(client, article, headline="Envoy lands in Beijing", change_note="Named the city")
    assert article.history.order_by("-history_id").first().history_change_reason == "Named the city"
    assert "<td>Named the city</td>" in client.get(HISTORY.format(article.pk)).content.decode()


def test_a_revision_covers_the_whole_story_and_restoring_brings_it_all_back(
    client, editor, make_article, make_author, make_section, make_photo, lead_with
):
    article = make_article(
        "Envoy lands", tags=["Sanctions"], authors=("Ana Ruiz",), dateline="BEIJING", section="World"
    )
    client.force_login(editor)
    save_through_admin(client, article, change_note="Before the rewrite")
    kept = article.history.order_by("-history_id").first()
    assert kept.parts["topics"] == [[article.tags.get().pk, "Sanctions"]]

    # Everything changes: topics, byline, section, dateline, a correction and a lead picture.
    article.tags.set(["Trade", "Uyghurs"])
    ArticleAuthor.objects.filter(article=article).delete()
    ArticleAuthor.objects.create(article=article, author=make_author("Li Wei"), position=0)
    publishing.correct(article, "An earlier version misnamed the minister.", by=editor)
    lead_with(article, make_photo())
    save_through_admin(
        client, article, headline="Envoy arrives", dateline="SHANGHAI", section=make_section("Asia").pk
    )

    page = client.get(HISTORY.format(article.pk)).content.decode()
    assert "<strong>Topics:</strong> <del>Sanctions</del> → <ins>Trade, Uyghurs</ins>" in page
    assert "<strong>Byline:</strong> <del>Ana Ruiz</del> → <ins>Li Wei</ins>" in page
    assert "<strong>Section:</strong> <del>World</del> → <ins>Asia</ins>" in page
    assert "<strong>Corrections:</strong> <del>none</del>" in page
    assert "<strong>Lead image:</strong> <del>none</del>" in page

    url = f"/admin/articles/article/{article.pk}/history/{kept.history_id}/"
    form_page = client.get(url).content.decode()
    assert "<dt>Topics</dt><dd>Sanctions</dd>" in form_page  # what the restore will bring back
    data = form_data(form_page, REVERT_FORM)
    assert client.post(url, data).status_code == 302

    article.refresh_from_db()
    assert (article.headline, article.dateline, article.section.name) == ("Envoy lands", "BEIJING", "World")
    assert sorted(article.tags.names()) == ["Sanctions"]
    assert [b.author.name for b in article.bylines.all()] == ["Ana Ruiz"]
    assert not article.corrections.exists()
    assert not LeadImage.objects.filter(article=article).exists()
    newest = article.history.order_by("-history_id").first()
    assert newest.history_change_reason.startswith("Restored the version of ")
    assert newest.parts == kept.parts
    client.logout()
    story = client.get(article.get_absolute_url()).content.decode()  # readers see the restored story
    assert "Sanctions" in story and "Uyghurs" not in story and "Li Wei" not in story


def test_restoring_an_imported_revision_keeps_the_parts_and_says_so(client, editor, make_article):
    article = make_article("Envoy lands", tags=["Sanctions"])
    imported = article.history.get()
    Article.history.filter(pk=imported.pk).update(parts=None)  # as the importer's bulk write leaves it
    client.force_login(editor)
    save_through_admin(client, article, headline="Envoy arrives")
    url = f"/admin/articles/article/{article.pk}/history/{imported.history_id}/"
    page = client.get(url).content.decode()
    assert "stay as they are now" in page
    response = client.post(url, form_data(page, REVERT_FORM), follow=True)
    assert "its topics, byline, corrections and image were left as they are" in response.content.decode()
    article.refresh_from_db()
    assert article.headline == "Envoy lands" and sorted(article.tags.names()) == ["Sanctions"]
