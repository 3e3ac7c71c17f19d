"""The article form's Topics field (articles/topic_picker.py): suggestions by name and alias, the
auto-tagger's suggestions, who may create a topic, and saving the story's topics."""

import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, Status, Tag, TaggedArticle, TopicName
from tests.formdata import form_data

SUGGEST = "/admin/articles/article/topics/"
AUTO_TAG = "/admin/articles/article/topics/auto-tag/"
ADD = "/admin/articles/article/add/"
CHANGE = "/admin/articles/article/{}/change/"


@pytest.fixture
def vocabulary(db):
    """The desk's vocabulary, as make run loads it."""
    call_command("load_vocabulary", verbosity=0)


def names(response):
    assert response.status_code == 200, response.content[:500]
    return [(topic["name"], topic["alias"]) for topic in response.json()["results"]]


def errors(response):
    return re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)


def test_suggestions_by_name_prefix_then_later_words(client, editor, vocabulary):
    client.force_login(editor)
    found = names(client.get(SUGGEST, {"q": "chin"}))
    assert found[0] == ("China", None)  # the name itself starts with it: first
    assert ("South China Sea", None) in found and ("US-China relations", None) in found
    assert ("Chinese Communist Party", None) in found


def test_suggestions_by_alias_name_the_alias(client, editor, vocabulary):
    client.force_login(editor)
    assert names(client.get(SUGGEST, {"q": "Uighur"}))[0] == ("Uyghurs", "Uighur")
    assert names(client.get(SUGGEST, {"q": "blinken"})) == [("Antony Blinken", None)]
    response = client.get(SUGGEST, {"q": "uighur"})
    assert response.json()["create"] is None  # an alias of a topic is not a new topic


def test_suggestions_are_limited_and_skip_chosen_topics(client, editor, vocabulary):
    client.force_login(editor)
    for n in range(30):
        Tag.objects.create(name=f"Summit {n:02}")
    assert len(names(client.get(SUGGEST, {"q": "summit"}))) == 10
    china = Tag.objects.get(name="China")
    assert ("China", None) not in names(client.get(SUGGEST, {"q": "chin", "exclude": [china.pk]}))
    assert names(client.get(SUGGEST, {"q": "   "})) == []


def test_suggestions_follow_a_renamed_topic_and_new_aliases(client, editor, vocabulary):
    client.force_login(editor)
    tag = Tag.objects.get(name="Trade")
    tag.name, tag.aliases = "Trade policy", "Tariffs"
    tag.save()
    assert names(client.get(SUGGEST, {"q": "tariff"})) == [("Trade policy", "Tariffs")]
    assert ("Trade policy", None) in names(client.get(SUGGEST, {"q": "policy"}))


def test_suggestions_are_one_query_on_an_index(client, editor, vocabulary, django_assert_max_num_queries):
    from django.db import connection

    from articles.topic_picker import _starting_with

    client.force_login(editor)
    # Session, user, authenticator devices (app and recovery codes), two permission reads; then the
    # look-up and the check whether what was typed is already a topic's name (for "Create topic").
    with django_assert_max_num_queries(8):
        assert client.get(SUGGEST, {"q": "uigh"}).status_code == 200
    lookup = TopicName.objects.filter(_starting_with("uigh")).values_list("tag_id")
    sql, params = lookup.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test-sized table is cheaper to scan
        explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        cursor.execute(f"{explain} {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "topic_name_key" in plan, plan


def test_only_an_editor_is_offered_to_create_a_topic(client, editor, reporter, vocabulary):
    client.force_login(editor)
    assert client.get(SUGGEST, {"q": "Arctic  shipping"}).json()["create"] == "Arctic shipping"
    assert client.get(SUGGEST, {"q": "china"}).json()["create"] is None
    client.force_login(reporter)
    assert client.get(SUGGEST, {"q": "Arctic shipping"}).json()["create"] is None


def test_endpoints_refuse_anonymous_and_non_staff(client, django_user_model, vocabulary):
    for response in (client.get(SUGGEST, {"q": "chin"}), client.post(AUTO_TAG, {"body": "China"})):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    outsider = django_user_model.objects.create_user("reader", password="x" * 20)
    client.force_login(outsider)
    assert client.get(SUGGEST, {"q": "chin"}).status_code == 302
    staff_without_rights = django_user_model.objects.create_user("clerk", password="x" * 20, is_staff=True)
    client.force_login(staff_without_rights)
    assert client.get(SUGGEST, {"q": "chin"}).status_code == 403
    assert client.post(AUTO_TAG, {"body": "China"}).status_code == 403


def test_auto_tag_suggests_the_topics_in_the_text_not_chosen_yet(client, editor, vocabulary):
    client.force_login(editor)
    china = Tag.objects.get(name="China")
    text = {
        "headline": "Blinken lands in Beijing",
        "dek": "Talks on trade.",
        "body": "China's treatment of the Uighur minority was raised.",
        "exclude": [str(china.pk)],
    }
    response = client.post(AUTO_TAG, text)
    assert response.status_code == 200
    assert [topic["name"] for topic in response.json()["results"]] == ["Antony Blinken", "Trade", "Uyghurs"]
    assert client.get(AUTO_TAG).status_code == 405  # the text is posted, not put in a URL


def test_auto_tag_needs_the_csrf_token(editor, vocabulary):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(AUTO_TAG, {"body": "China"}).status_code == 403


def test_auto_tag_sees_a_topic_added_since(client, editor, vocabulary):
    client.force_login(editor)
    assert client.post(AUTO_TAG, {"body": "Arctic shipping lanes"}).json()["results"] == []
    Tag.objects.create(name="Arctic", aliases="High North")
    found = client.post(AUTO_TAG, {"body": "Arctic shipping, in the High North"}).json()["results"]
    assert [topic["name"] for topic in found] == ["Arctic"]


def _opened(client, article):
    return form_data(client.get(CHANGE.format(article.pk)).content.decode(), "article_form")


def test_the_form_has_one_topics_field_and_no_tag_inline(client, editor, make_article, vocabulary):
    story = make_article("Envoy lands", tags=["China"], status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    page = client.get(CHANGE.format(story.pk)).content.decode()
    assert "tagged_items-TOTAL_FORMS" not in page
    assert re.search(r'<select name="tags"[^>]*multiple', page)
    assert 'data-suggest-url="/admin/articles/article/topics/"' in page
    assert "admin/js/topic_picker" in page and "<script>" not in page
    assert _opened(client, story)["tags"] == [str(Tag.objects.get(name="China").pk)]


def test_saving_three_topics_writes_them_and_the_topic_page_shows_the_story(
    client, editor, make_article, vocabulary
):
    story = make_article("Envoy lands", tags=["China"], status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    data = _opened(client, story)
    picked = [Tag.objects.get(name=name) for name in ("Uyghurs", "Trade", "Human rights")]
    data["tags"] = [str(tag.pk) for tag in picked]  # China taken off, three put on
    response = client.post(CHANGE.format(story.pk), data)
    assert response.status_code == 302, errors(response)
    assert sorted(Article.objects.get(pk=story.pk).tags.names()) == ["Human rights", "Trade", "Uyghurs"]
    card = Article.objects.get(pk=story.pk).card
    assert [name for _, _, name in card["topics"]] == ["Human rights", "Trade", "Uyghurs"]
    assert client.get("/tags/uyghurs/").content.decode().count("Envoy lands") == 0  # a draft

    data = _opened(client, story)
    assert sorted(data["tags"]) == sorted(str(tag.pk) for tag in picked)
    data.update(
        status=Status.PUBLISHED,
        published_at_0=timezone.localtime().strftime("%Y-%m-%d"),
        published_at_1="00:00:00",
    )
    response = client.post(CHANGE.format(story.pk), data)
    assert response.status_code == 302, errors(response)
    client.logout()
    page = client.get("/tags/uyghurs/").content.decode()
    assert page.count(">Envoy lands<") == 1
    story.refresh_from_db()
    links = TaggedArticle.objects.filter(content_object=story)
    assert {link.published_at for link in links} == {story.published_at}


def test_a_topic_added_to_a_published_story_carries_its_release_time(
    client, editor, make_article, vocabulary
):
    story = make_article("Envoy lands", tags=["China"])
    client.force_login(editor)
    data = _opened(client, story)
    data["tags"] = [*data["tags"], str(Tag.objects.get(name="Trade").pk)]
    assert client.post(CHANGE.format(story.pk), data).status_code == 302
    added = TaggedArticle.objects.get(content_object=story, tag__name="Trade")
    story.refresh_from_db()  # the form sends the time to the second
    assert added.published_at == story.published_at
    client.logout()
    assert ">Envoy lands<" in client.get("/tags/trade/").content.decode()


def test_changing_topics_announces_a_tags_change(
    client, editor, make_article, vocabulary, django_capture_on_commit_callbacks
):
    from articles import publishing

    story = make_article("Envoy lands", tags=["China"])
    publishing.release_due()
    heard = []

    def listener(sender, article, changes, **kwargs):
        heard.append(set(changes))

    publishing.story_changed.connect(listener)
    try:
        client.force_login(editor)
        data = _opened(client, story)
        data["tags"] = [*data["tags"], str(Tag.objects.get(name="Trade").pk)]
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(CHANGE.format(story.pk), data).status_code == 302
        data = _opened(client, story)
        data["headline"] = "Envoy lands in Beijing"
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(CHANGE.format(story.pk), data).status_code == 302
    finally:
        publishing.story_changed.disconnect(listener)
    assert len(heard) == 2 and "tags" in heard[0]
    assert "tags" not in heard[1] and "headline" in heard[1]  # topics untouched: no tags change


def test_an_editor_creates_a_topic_from_the_field(client, editor, make_article, vocabulary):
    story = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    data = _opened(client, story)
    data["tags"] = [str(Tag.objects.get(name="China").pk), "new:Arctic shipping"]
    response = client.post(CHANGE.format(story.pk), data)
    assert response.status_code == 302, errors(response)
    created = Tag.objects.get(name="Arctic shipping")
    assert created.slug == "arctic-shipping"
    assert sorted(story.tags.names()) == ["Arctic shipping", "China"]
    assert names(client.get(SUGGEST, {"q": "arctic"})) == [("Arctic shipping", None)]


def test_a_new_name_that_is_already_a_topic_or_an_alias_picks_that_topic(
    client, editor, make_article, vocabulary
):
    story = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    data = _opened(client, story)
    data["tags"] = ["new:uighur", "new:CHINA"]
    assert client.post(CHANGE.format(story.pk), data).status_code == 302
    assert sorted(story.tags.names()) == ["China", "Uyghurs"]
    assert not Tag.objects.filter(name__in=["uighur", "CHINA"]).exists()


def test_a_reporter_cannot_create_a_topic_and_nothing_is_saved(client, reporter, make_article, vocabulary):
    story = make_article("Envoy lands", tags=["China"], status=Status.DRAFT, published_at=None)
    client.force_login(reporter)
    tags_before = Tag.objects.count()
    data = _opened(client, story)
    data["headline"] = "Envoy lands in Beijing"
    data["tags"] = [*data["tags"], str(Tag.objects.get(name="Trade").pk), "new:Arctic shipping"]
    response = client.post(CHANGE.format(story.pk), data)
    assert response.status_code == 200
    assert any(
        "Only an editor can create a topic" in error and "Arctic shipping" in error
        for error in errors(response)
    )
    story.refresh_from_db()
    assert story.headline == "Envoy lands"
    assert list(story.tags.names()) == ["China"]
    assert Tag.objects.count() == tags_before


def test_a_reporter_picks_from_the_vocabulary(client, reporter, make_article, vocabulary):
    client.force_login(reporter)
    page = client.get(ADD).content.decode()
    assert 'data-can-create="false"' in page
    data = form_data(page, "article_form")
    section = make_article("Other").section
    data.update(
        headline="Envoy lands",
        slug="envoy-lands",
        section=str(section.pk),
        body="China and Trade.",
        tags=[str(Tag.objects.get(name=name).pk) for name in ("China", "Trade")],
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, errors(response)
    assert sorted(Article.objects.get(slug="envoy-lands").tags.names()) == ["China", "Trade"]


def test_a_deleted_or_forged_topic_is_refused(client, editor, make_article, vocabulary):
    story = make_article("Envoy lands", tags=["China"], status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    for forged in (["999999"], ["<script>"]):
        data = _opened(client, story)
        data["tags"] = forged
        response = client.post(CHANGE.format(story.pk), data)
        assert response.status_code == 200 and errors(response)
        assert list(story.tags.names()) == ["China"]


def test_without_javascript_the_select_lists_the_vocabulary(client, editor, vocabulary):
    client.force_login(editor)
    page = client.get(ADD).content.decode()
    select = re.search(r'<select name="tags".*?</select>', page, re.S).group()
    assert select.count("<option") == Tag.objects.count()
    assert ">Uyghurs</option>" in select


def test_the_importer_indexes_the_topics_it_creates(db, tmp_path):
    story = tmp_path / "visit.md"
    story.write_text("---\ntitle: Envoy lands\ntags: [Arctic shipping]\n---\n\nText.\n", encoding="utf-8")
    call_command("import_articles", str(story), "--section", "World", verbosity=0)
    assert TopicName.objects.filter(key="shipping", tag__name="Arctic shipping").exists()


def test_make_run_loads_the_vocabulary():
    from django.conf import settings

    makefile = (settings.BASE_DIR / "Makefile").read_text()
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "manage.py load_vocabulary" in run
    assert run.index("load_vocabulary") < run.index("load_sample_content")


def test_suggestion_payload_is_json(client, editor, vocabulary):
    client.force_login(editor)
    response = client.get(SUGGEST, {"q": "uig"})
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["results"][0] == {
        "id": Tag.objects.get(name="Uyghurs").pk,
        "name": "Uyghurs",
        "alias": "Uighur",
    }


def test_a_typed_name_finds_a_topic_written_without_save(client, editor, make_article, vocabulary):
    Tag.objects.bulk_create([Tag(name="Arctic", slug="arctic")])  # no post_save: not in the index
    story = make_article("Envoy lands", status=Status.DRAFT, published_at=None)
    client.force_login(editor)
    data = _opened(client, story)
    data["tags"] = ["new:arctic"]
    assert client.post(CHANGE.format(story.pk), data).status_code == 302
    assert list(story.tags.values_list("slug", flat=True)) == ["arctic"]
    assert Tag.objects.filter(name__iexact="arctic").count() == 1
