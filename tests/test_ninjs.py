"""/api/ninjs/<slug>/: a public story as IPTC ninjs 2.2, checked against the IPTC's own schema as
shipped in distribution/schemas/, and nothing a reader may not see."""

import copy
import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from django.utils import timezone

from articles.models import Correction, Status
from distribution.ninjs import ninjs_schema, story_as_ninjs

ORIGIN = "http://testserver"  # NEWSROOM_SITE_URL in the tests (pyproject.toml)
DATE_FIELDS = ("firstcreated", "contentcreated", "versioncreated")


def validate(document):
    """Raise jsonschema.ValidationError unless ``document`` is valid ninjs 2.2, dates included."""
    validator = jsonschema.Draft202012Validator(
        ninjs_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)


def addresses(document):
    """Every ``uri`` and ``href`` anywhere in ``document``: jsonschema checks no ``uri`` format
    without an extra package, so the tests look at them themselves."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("uri", "href", "schema") and isinstance(value, str):
                yield value
            else:
                yield from addresses(value)
    elif isinstance(document, list):
        for value in document:
            yield from addresses(value)


def by_role(entries, role, contenttype=None):
    return [e for e in entries if e.get("role") == role and contenttype in (None, e.get("contenttype"))]


@pytest.fixture
def story(make_article, make_photo, lead_with):
    """A story like the sample coverage: two authors, topics, a dateline, a link to another story in
    its body, two corrections and a lead picture."""
    article = make_article(
        "Envoy lands in Beijing",
        slug="envoy-lands-in-beijing",
        dek="The visit is the first in five years.",
        body=(
            "The envoy [arrived](/articles/earlier-visit/) on Tuesday.\n\n"
            "## Talks\n\n- trade\n- climate\n\nA *second* paragraph & more."
        ),
        authors=("Ana Ruiz", "Li Wei"),
        tags=["China", "Diplomacy", "Trade"],
        dateline="BEIJING",
    )
    Correction.objects.create(
        article=article, date=timezone.now() - timedelta(minutes=20), text="Second fix."
    )
    Correction.objects.create(article=article, date=timezone.now() - timedelta(minutes=40), text="First fix.")
    lead_with(article, make_photo(caption="The envoy arrives at Beijing airport."))
    return article


def test_a_full_story_is_valid_ninjs_with_all_a_partner_needs(client, story):
    response = client.get("/api/ninjs/envoy-lands-in-beijing/")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/json"
    item = response.json()
    validate(item)
    story.refresh_from_db()  # a correction bumps the story's updated time

    assert item["type"] == "text"
    assert item["pubstatus"] == "usable"
    assert item["language"] == "en"
    assert item["version"] == str(story.edit_version)
    assert item["standard"]["version"] == "2.2"
    assert item["profile"] == "text-photo"
    assert by_role(item["headlines"], "main") == [
        {"role": "main", "contenttype": "text/plain", "value": "Envoy lands in Beijing"}
    ]
    assert by_role(item["headlines"], "sub")[0]["value"] == "The visit is the first in five years."
    assert by_role(item["descriptions"], "summary")[0]["value"] == "The visit is the first in five years."

    html = by_role(item["bodies"], "main", "text/html")[0]["value"]
    assert f'href="{ORIGIN}/articles/earlier-visit/"' in html
    assert "<em>second</em>" in html
    plain = by_role(item["bodies"], "main", "text/plain")[0]["value"]
    assert plain == (
        "The envoy arrived on Tuesday.\n\nTalks\n\ntrade\n\nclimate\n\nA second paragraph & more."
    )

    assert item["by"] == "By Ana Ruiz and Li Wei"
    assert item["people"] == [
        {"name": "Ana Ruiz", "rel": "author", "uri": f"{ORIGIN}/authors/ana-ruiz/"},
        {"name": "Li Wei", "rel": "author", "uri": f"{ORIGIN}/authors/li-wei/"},
    ]
    assert item["located"] == "BEIJING"
    assert [(s["rel"], s["name"], s["uri"]) for s in item["subjects"]] == [
        ("section", "World", f"{ORIGIN}/sections/world/"),
        ("about", "China", f"{ORIGIN}/tags/china/"),
        ("about", "Diplomacy", f"{ORIGIN}/tags/diplomacy/"),
        ("about", "Trade", f"{ORIGIN}/tags/trade/"),
    ]
    assert item["renditions"] == [
        {
            "name": "web",
            "href": f"{ORIGIN}/articles/envoy-lands-in-beijing/",
            "contenttype": "text/html",
            "title": "Envoy lands in Beijing",
        }
    ]
    corrections = [d["value"] for d in by_role(item["descriptions"], "correction")]
    assert [text.split(": ", 1)[1] for text in corrections] == ["First fix.", "Second fix."]
    assert item["copyrightholder"] == "Newsroom"

    # Dates: ISO 8601 with their offset, the story's own.
    assert datetime.fromisoformat(item["firstcreated"]) == story.published_at
    assert datetime.fromisoformat(item["versioncreated"]) == story.updated_at
    for field in DATE_FIELDS:
        assert datetime.fromisoformat(item[field]).utcoffset() is not None

    [picture] = item["associations"]
    assert picture["name"] == "featureimage"
    assert picture["type"] == "picture"
    assert picture["by"] == "Ana Ruiz/Desk"
    assert by_role(picture["descriptions"], "caption")[0]["value"] == "The envoy arrives at Beijing airport."
    assert by_role(picture["descriptions"], "alt")[0]["value"] == "The envoy on the tarmac"
    jpegs = [r for r in picture["renditions"] if r["contenttype"] == "image/jpeg"]
    assert jpegs and {"16x9", "4x3", "1x1"} <= {r["name"].split("-")[0] for r in jpegs}
    for file in picture["renditions"]:
        assert file["href"].startswith(f"{ORIGIN}/media/")
        assert file["width"] > 0 and file["height"] > 0
        # The file is there, at the size it claims.
        assert client.get(file["href"].removeprefix(ORIGIN)).status_code == 200

    for address in addresses(item):
        parts = urlsplit(address)
        assert parts.scheme in ("http", "https", "tag"), address
        assert parts.scheme == "tag" or parts.netloc, address


def test_a_bare_story_is_valid_ninjs_with_nothing_empty(client, make_article):
    article = make_article("Short note", authors=(), body="")
    item = client.get(f"/api/ninjs/{article.slug}/").json()
    validate(item)
    assert item["profile"] == "text-only"
    for absent in ("by", "people", "located", "descriptions", "associations"):
        assert absent not in item
    assert [body["value"] for body in item["bodies"]] == ["", ""]
    assert [s["rel"] for s in item["subjects"]] == ["section"]


def test_the_uri_is_the_feeds_guid_and_survives_a_new_slug(client, story):
    guid = feedparser.parse(client.get("/feeds/latest/").content).entries[0].id
    assert client.get("/api/ninjs/envoy-lands-in-beijing/").json()["uri"] == guid
    assert guid.startswith("tag:testserver,")
    story.slug = "envoy-arrives-in-beijing"
    story.save()
    item = client.get("/api/ninjs/envoy-arrives-in-beijing/").json()
    assert item["uri"] == guid
    assert item["version"] == str(story.edit_version)


def test_the_schema_check_can_fail(story):
    from articles.models import SlugRedirect

    good = story_as_ninjs(SlugRedirect.objects.resolve(story.slug).article)
    validate(good)
    broken = [
        {key: value for key, value in good.items() if key != "uri"},  # the one required property
        {**good, "type": "article"},  # not one of ninjs' types
        {**good, "mimetype": "text/html"},  # ninjs 1.x, gone in 2.x
        {**good, "versioncreated": "yesterday"},
        {**good, "headlines": [{"role": "main"}]},  # a headline without its value
    ]
    without_name = copy.deepcopy(good)
    del without_name["associations"][0]["renditions"][0]["name"]
    broken.append(without_name)
    for document in broken:
        with pytest.raises(jsonschema.ValidationError):
            validate(json.loads(json.dumps(document)))


@pytest.mark.parametrize("rich", [False, True])
def test_query_count_is_the_same_however_much_a_story_carries(
    client, make_article, make_photo, lead_with, django_assert_num_queries, rich
):
    if rich:
        article = make_article(
            "Rich", authors=[f"Author {n}" for n in range(8)], tags=[f"Topic {n}" for n in range(15)]
        )
        for n in range(5):
            Correction.objects.create(article=article, text=f"Fix {n}.")
        lead_with(article, make_photo())
    else:
        article = make_article("Bare", authors=(), body="")
    with django_assert_num_queries(1):
        response = client.get(f"/api/ninjs/{article.slug}/")
    assert response.status_code == 200


def test_a_former_slug_answers_301_to_the_current_address(client, story):
    story.slug = "envoy-arrives-in-beijing"
    story.save()
    response = client.get("/api/ninjs/envoy-lands-in-beijing/")
    assert response.status_code == 301
    assert response["Location"] == "/api/ninjs/envoy-arrives-in-beijing/"
    assert client.get(response["Location"]).json()["headlines"][0]["value"] == "Envoy lands in Beijing"


@pytest.mark.parametrize(
    "state",
    [
        {"status": Status.DRAFT, "published_at": None},
        {"status": Status.REVIEW},
        {"published_at": "future"},
    ],
    ids=["draft", "review", "scheduled"],
)
def test_what_a_reader_may_not_see_is_a_json_404(client, make_article, state):
    if state.get("published_at") == "future":
        state = {"published_at": timezone.now() + timedelta(days=1)}
    article = make_article("Quokkahidden plans", **state)
    response = client.get(f"/api/ninjs/{article.slug}/")
    assert response.status_code == 404
    assert response["Content-Type"].split(";")[0] == "application/json"
    assert "quokkahidden" not in response.json()["detail"].replace(article.slug, "")
    # Nor at a former slug of it.
    article.slug = "quokkahidden-renamed"
    article.save()
    assert client.get("/api/ninjs/quokkahidden-renamed/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/ninjs/no-such-story/",
        "/api/ninjs/bad%00slug/",
        "/api/ninjs/%3Cscript%3E/",
        "/api/ninjs/a%0Ab/",
        "/api/ninjs/x/y/",
        "/api/ninjs/" + "x" * 300 + "/",
        "/api/ninjs/%C3%A4/",
    ],
)
def test_unknown_or_malformed_slugs_are_a_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No article")


def test_cached_and_revalidated_like_the_rest_of_the_api(client, story):
    first = client.get("/api/ninjs/envoy-lands-in-beijing/")
    assert "ETag" in first
    again = client.get("/api/ninjs/envoy-lands-in-beijing/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_unpublishing_takes_it_off_at_once(client, story):
    assert client.get("/api/ninjs/envoy-lands-in-beijing/").status_code == 200
    story.status = Status.DRAFT
    story.save()
    assert client.get("/api/ninjs/envoy-lands-in-beijing/").status_code == 404


def test_documented_in_the_openapi_schema(client, db):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/ninjs/{slug}/"]["get"]
    assert set(operation["responses"]) == {"200", "301", "404"}
    assert "Location" in operation["responses"]["301"]["headers"]
    assert "ninjs" in operation["summary"]


@pytest.mark.django_db(transaction=True)
def test_the_shared_cache_keeps_it_and_retires_it_on_a_change(client, shared_cache, story):
    url = "/api/ninjs/envoy-lands-in-beijing/"
    client.get(url)
    assert client.get(url)["X-Cache"] == "hit"
    Correction.objects.create(article=story, text="Third fix.")
    response = client.get(url)
    assert response["X-Cache"] == "miss"
    assert any(d["value"].endswith(": Third fix.") for d in response.json()["descriptions"])
    story.status = Status.DRAFT
    story.save()
    assert client.get(url).status_code == 404


def test_a_corrections_day_is_the_desks_as_on_the_page(client, settings, make_article):
    settings.TIME_ZONE = "Asia/Shanghai"
    article = make_article("Late fix")
    # 20:00 UTC on 4 March is 04:00 on 5 March in Beijing, the desk's day the page prints.
    Correction.objects.create(
        article=article, date=datetime(2026, 3, 4, 20, tzinfo=timezone.get_fixed_timezone(0)), text="Fixed."
    )
    item = client.get(f"/api/ninjs/{article.slug}/").json()
    assert by_role(item["descriptions"], "correction")[0]["value"] == "2026-03-05: Fixed."
    assert "5 March 2026" in client.get(article.get_absolute_url()).content.decode()
