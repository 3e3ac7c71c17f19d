"""A change retires only the cached pages that showed what changed (articles/page_keys.py)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from articles import caching, publishing
from articles.models import Status


def get(client, url):
    response = client.get(url)
    return response, response.content.decode()


def cached(client, url):
    """Fill the cache with ``url`` and say whether the next read is a hit."""
    client.get(url)
    return client.get(url)["X-Cache"] == "hit"


@pytest.fixture
def retired():
    """The keys each commit announced (caching.pages_retired), in order."""
    announced = []

    def receiver(sender, keys, **kwargs):
        announced.append(keys)

    caching.pages_retired.connect(receiver)
    yield announced
    caching.pages_retired.disconnect(receiver)


@pytest.mark.django_db(transaction=True)
def test_editing_one_story_leaves_every_other_story_page_cached(client, shared_cache, make_article):
    edited = make_article("Envoy lands in Beijing", tags=["China"], section="Asia")
    others = [make_article(f"Trade talk {n}", tags=["China"], section="Asia") for n in range(3)]
    for article in [edited, *others]:
        assert cached(client, article.get_absolute_url())
    edited.headline = "Envoy lands in Beijing for two days"
    edited.save()
    for article in others:
        assert client.get(article.get_absolute_url())["X-Cache"] == "hit", article.slug
    response, page = get(client, edited.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "Envoy lands in Beijing for two days" in page
    # A list that showed the story shows the new headline at once.
    assert "for two days" in get(client, "/sections/asia/")[1]


@pytest.mark.django_db(transaction=True)
def test_publishing_retires_the_front_page_and_its_lists_but_no_article(
    client, shared_cache, make_article, editor
):
    asia = make_article("Envoy lands in Beijing", tags=["China"], section="Asia")
    europe = make_article("Talks in Brussels", tags=["Trade"], section="Europe")
    draft = make_article("Communique signed", tags=["China"], section="Asia", status=Status.DRAFT)
    untouched = [asia.get_absolute_url(), europe.get_absolute_url(), "/sections/europe/", "/tags/trade/"]
    retired_lists = [
        "/", "/articles/", "/sections/asia/", "/tags/china/", "/feeds/latest/", "/feeds/tags/china/",
    ]  # fmt: skip
    for url in untouched + retired_lists:
        assert cached(client, url), url
    publishing.publish(draft, by=editor)
    for url in untouched:
        assert client.get(url)["X-Cache"] == "hit", url
    for url in retired_lists:
        response, page = get(client, url)
        assert response["X-Cache"] == "miss", url
        assert "Communique signed" in page, url


@pytest.mark.django_db(transaction=True)
def test_unpublishing_a_related_story_retires_the_pages_that_link_to_it(
    client, shared_cache, make_article, editor
):
    reading = make_article("Envoy lands in Beijing", tags=["China"])
    related = make_article("Beijing sets the agenda", tags=["China"])
    assert "Beijing sets the agenda" in get(client, reading.get_absolute_url())[1]
    assert cached(client, reading.get_absolute_url())
    # An edit of the related story's text leaves the page that only links to it cached...
    related.body = "A rewritten paragraph."
    related.save()
    assert client.get(reading.get_absolute_url())["X-Cache"] == "hit"
    # ...and taking it down retires it: no reader follows a link to a story that is gone.
    publishing.unpublish(related, by=editor)
    response, page = get(client, reading.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "Beijing sets the agenda" not in page


@pytest.mark.django_db(transaction=True)
def test_pages_name_what_they_show_for_a_proxy_in_front(client, shared_cache, make_article):
    article = make_article("Envoy lands in Beijing", tags=["China"], section="Asia")
    other = make_article("Talks in Brussels", tags=["Trade"], section="Europe")
    for _ in range(2):  # a miss, then a hit: both carry the keys
        keys = set(client.get(article.get_absolute_url())["Surrogate-Key"].split())
        assert {"site", f"story:{article.pk}"} <= keys
        assert "front" not in keys and "lists" not in keys
    section_keys = set(client.get("/sections/asia/")["Surrogate-Key"].split())
    assert {"site", f"section:{article.section_id}", f"story:{article.pk}"} <= section_keys
    assert f"story:{other.pk}" not in section_keys
    front_keys = set(client.get("/")["Surrogate-Key"].split())
    assert {"front", f"story:{article.pk}", f"story:{other.pk}"} <= front_keys
    assert client.get("/")["Surrogate-Control"] == "max-age=3600"
    # What the page is current at, as a proxy compares it with its purges: small enough for VCL.
    front = client.get("/")
    assert int(front["X-Content-Epoch"]) > 0 and 0 <= int(front["X-Content-Version"]) < 10**15


@pytest.mark.django_db(transaction=True)
def test_a_list_is_not_kept_by_a_proxy_past_the_next_scheduled_story(client, shared_cache, make_article):
    article = make_article("Envoy lands in Beijing")
    make_article("Embargoed communique", published_at=timezone.now() + timedelta(minutes=10))
    front_seconds = int(client.get("/")["Surrogate-Control"].removeprefix("max-age="))
    assert 590 <= front_seconds <= 600
    assert client.get(article.get_absolute_url())["Surrogate-Control"] == "max-age=3600"


@pytest.mark.django_db(transaction=True)
def test_an_editors_save_announces_its_keys_once_after_commit(shared_cache, make_article, retired):
    article = make_article("Envoy lands in Beijing", tags=["China"])
    retired.clear()
    with transaction.atomic():
        article.headline = "Envoy lands"
        article.save()
        article.tags.add("Trade")
        assert retired == []  # nothing before the commit: a purge then could refetch the old page
    assert len(retired) == 1
    assert {f"story:{article.pk}", "lists"} <= retired[0]
    assert "site" not in retired[0]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_and_a_drafts_edit_retire_nothing(client, shared_cache, make_article, retired):
    article = make_article("Envoy lands in Beijing")
    draft = make_article("Not yet", status=Status.DRAFT)
    assert cached(client, article.get_absolute_url())
    retired.clear()
    draft.headline = "Still not yet"
    draft.save()
    with pytest.raises(RuntimeError), transaction.atomic():
        article.headline = "Never committed"
        article.save()
        raise RuntimeError("the save fails")
    assert retired == []
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"


ESI_PROXY = {"HTTP_SURROGATE_CAPABILITY": "newsroom=ESI/1.0"}


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_that_includes_fragments_related_coverage_is_cached_apart(
    client, shared_cache, make_article, editor
):
    reading = make_article("Envoy lands in Beijing", tags=["China"])
    related = make_article("Beijing sets the agenda", tags=["China"])
    fragment = f"/fragments/related/{reading.pk}/"
    page = client.get(reading.get_absolute_url(), **ESI_PROXY)
    body = page.content.decode()
    assert f'<esi:include src="{fragment}"/>' in body and "Beijing sets the agenda" not in body
    assert page["Surrogate-Control"].endswith('content="ESI/1.0"')
    assert f"mention:{related.pk}" not in page["Surrogate-Key"]
    included = client.get(fragment, **ESI_PROXY)
    assert "Beijing sets the agenda" in included.content.decode()
    assert f"mention:{related.pk}" in included["Surrogate-Key"].split()
    assert included["X-Robots-Tag"] == "noindex"
    # Taking the related story down retires the fragment, and leaves the page around it cached.
    publishing.unpublish(related, by=editor)
    assert client.get(reading.get_absolute_url(), **ESI_PROXY)["X-Cache"] == "hit"
    again = client.get(fragment, **ESI_PROXY)
    assert again["X-Cache"] == "miss" and "Beijing sets the agenda" not in again.content.decode()
    # A new story on its topic shows in the fragment, and still leaves the page around it cached.
    newer = make_article("Premier welcomes envoy", tags=["China"], status=Status.DRAFT)
    publishing.publish(newer, by=editor)
    assert client.get(reading.get_absolute_url(), **ESI_PROXY)["X-Cache"] == "hit"
    assert "Premier welcomes envoy" in client.get(fragment, **ESI_PROXY).content.decode()
    # A reader straight to Newsroom (no such proxy) gets the whole page, as before.
    assert "<esi:include" not in client.get(reading.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_related_fragment_of_a_story_not_public_is_not_found(client, make_article):
    draft = make_article("Not yet", status=Status.DRAFT)
    assert client.get(f"/fragments/related/{draft.pk}/").status_code == 404
    assert client.get("/fragments/related/999999/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_list_narrowed_by_topic_retires_only_with_stories_of_that_topic(
    client, shared_cache, make_article, editor
):
    china = make_article("Envoy lands in Beijing", tags=["China"])
    make_article("Talks in Brussels", tags=["Trade"])
    draft = make_article("Tariffs eased", tags=["Trade"], status=Status.DRAFT)
    story_api = f"/api/articles/{china.slug}/"
    for url in ("/articles/?tag=china", "/articles/?tag=trade", story_api):
        assert cached(client, url), url
    publishing.publish(draft, by=editor)
    assert client.get("/articles/?tag=china")["X-Cache"] == "hit"
    assert client.get(story_api)["X-Cache"] == "hit"  # one story's answer is in no list
    response, page = get(client, "/articles/?tag=trade")
    assert response["X-Cache"] == "miss" and "Tariffs eased" in page
    # Tagging the China story with Trade retires the lists of both its topics.
    china.tags.add("Trade")
    assert client.get("/articles/?tag=china")["X-Cache"] == "miss"
    assert "Envoy lands in Beijing" in get(client, "/articles/?tag=trade")[1]
