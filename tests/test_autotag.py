"""Auto-tagging: whole-word matching of tag names and aliases, the vocabulary file and its command,
the seeds' tags, and aliases in the admin."""

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.autotag import DEFAULT_VOCABULARY, Vocabulary, read_vocabulary_file
from articles.models import Tag

SEED_FOLDERS = [settings.BASE_DIR / "content" / "diplomacy", Path(__file__).parent / "fixtures" / "seeds"]

# What a desk editor would tag each seed with, and what the shipped vocabulary must find.
SEED_TAGS = {
    "000_036b39410185443a.txt": {
        "Antony Blinken",  # "US Secretary of State Antony Blinken", "Blinken’s"
        "China",  # "China", "Beijing"
        "United States",  # "the United States", "US sanctions"
        "US-China relations",  # "the relationship between the United States and China"
        "Sanctions",  # "recent US sanctions"
        "Human rights",  # "human rights abuses"
        "Xinjiang",  # "the Xinjiang region"
        "Uyghurs",  # "Uighur Muslims"
        "Trade",  # "a trade war", "trade restrictions"
        "Diplomacy",  # "the importance of diplomacy"
        "Climate change",
        "Nuclear nonproliferation",  # "nuclear proliferation"
        "Public health",  # "global health"
    },
    "001_b8534e62939162e0.txt": {
        "Antony Blinken",
        "China",
        "United States",  # "U.S. Secretary of State", "the United States"
        "US-China relations",  # "U.S.-China relations", "U.S.-China Tensions"
        "Joe Biden",  # "President Joe Biden", "the Biden administration’s"
        "Trade",  # "Trade disputes", "Trade imbalances"
        "Cybersecurity",
        "Human rights",
        "Intellectual property",  # "intellectual property theft"
        "Territorial disputes",  # "disagreements over territorial claims"
        "Diplomacy",  # "diplomatic trip", "Diplomatic Mission"
        "Climate change",
        "Nuclear nonproliferation",
        "Public health",  # "public health", "pandemic response"
    },
}

TAGS = {
    "Iran": "Tehran",
    "United States": "US\nU.S.\nAmerica\n!Latin America",
    "China": "Beijing\nPeople's Republic of China",
    "Taiwan": "Republic of China",
    "Uyghurs": "Uighur\nUyghur\nUighurs",
    "Antony Blinken": "Blinken\nSecretary of State Antony Blinken",
    "Human rights": "",
    "Trade": "tariffs\n!trade-off\n!trade-offs",
    "US-China relations": "US-China\nU.S.-China",
    "North Korea": "DPRK",
    "Joe Biden": "Biden\n!Hunter Biden",
    "Xi Jinping": "Xi\n!Xi'an",
    "World Health Organization": "WHO",
}


@pytest.fixture(scope="module")
def vocabulary():
    """A vocabulary of unsaved tags: matching needs no database."""
    return Vocabulary([Tag(name=name, aliases=aliases) for name, aliases in TAGS.items()])


def found(vocabulary, *texts):
    return set(vocabulary.tag_names_for(*texts))


@pytest.mark.parametrize(
    "text, tags",
    [
        ("Talks in Iran resume.", {"Iran"}),
        ("Iran's envoy", {"Iran"}),
        ("Iran’s envoy", {"Iran"}),
        ("(Iran)", {"Iran"}),
        ("“Iran,” he said.", {"Iran"}),
        ("**Iran** and _China_", {"Iran", "China"}),
        ("A flight to Tehran.", {"Iran"}),
        ("Blinken’s arrival", {"Antony Blinken"}),
    ],
)
def test_a_name_or_alias_matches_as_a_whole_word_whatever_the_punctuation(vocabulary, text, tags):
    assert found(vocabulary, text) == tags


@pytest.mark.parametrize("text", ["IRAN SANCTIONS", "iran", "Iran", "HUMAN RIGHTS", "human Rights"])
def test_matching_ignores_case(vocabulary, text):
    assert len(found(vocabulary, text)) == 1


@pytest.mark.parametrize("text", ["the Uighur minority", "Uyghur activists", "UIGHURS", "Uyghurs"])
def test_aliases_find_their_tag(vocabulary, text):
    assert found(vocabulary, text) == {"Uyghurs"}


@pytest.mark.parametrize(
    "text",
    ["Secretary of State Antony Blinken said", "Antony\nBlinken", "Antony  Blinken", "human\r\nrights"],
)
def test_multi_word_phrases_match_across_any_whitespace(vocabulary, text):
    assert len(found(vocabulary, text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "A conference in Tirana",
        "Iranian officials",  # a whole word of its own: demonyms are aliases only where listed
        "Thus the talks began.",
        "a USB stick",
        "Let us begin.",
        "Us and them",
        "a trader and a trademark",
        "Chinatown",
        "Bidenomics",
        "humans' rights",
    ],
)
def test_no_tag_from_part_of_a_word(vocabulary, text):
    assert found(vocabulary, text) == set()


@pytest.mark.parametrize(
    "text, tags",
    [
        ("US officials", {"United States"}),
        ("U.S. officials", {"United States"}),
        ("the U.S.", {"United States"}),
        ("us officials", set()),
        ("Us officials", set()),
        ("u.s. officials", set()),
        ("The WHO said", {"World Health Organization"}),
        ("those who said", set()),
    ],
)
def test_a_phrase_written_in_capitals_matches_only_in_capitals(vocabulary, text, tags):
    assert found(vocabulary, text) == tags


@pytest.mark.parametrize(
    "text", ["US-China talks", "US–China talks", "US—China talks", "US - China talks", "U.S.-China talks"]
)
def test_any_dash_joins_words(vocabulary, text):
    assert found(vocabulary, text) == {"US-China relations"}


@pytest.mark.parametrize(
    "text, tags",
    [
        ("the People's Republic of China", {"China"}),
        ("the People’s Republic of China", {"China"}),
        ("the Republic of China", {"Taiwan"}),
        ("U.S.-China relations", {"US-China relations"}),
        ("Latin America", set()),
        ("Latin America and America", {"United States"}),
        ("Hunter Biden", set()),
        ("Hunter Biden's father, President Biden", {"Joe Biden"}),
        ("a trade-off", set()),
        ("trade-offs and tariffs", {"Trade"}),
        ("Xi’an", set()),
        ("Xi in Xi'an", {"Xi Jinping"}),
    ],
)
def test_the_longest_phrase_wins_and_exceptions_shield_their_words(vocabulary, text, tags):
    assert found(vocabulary, text) == tags


def test_web_addresses_are_not_read(vocabulary):
    assert found(vocabulary, "See https://example.org/iran/china and www.iran.example") == set()


def test_tags_come_once_each_in_order_of_first_appearance(vocabulary):
    names = vocabulary.tag_names_for("Blinken in Beijing", None, "", "China and Iran; Blinken and Tehran")
    assert names == ["Antony Blinken", "China", "Iran"]


def test_a_phrase_does_not_run_from_one_text_into_the_next(vocabulary):
    assert vocabulary.tag_names_for("On human", "rights") == []


def test_tags_for_returns_the_tag_objects(vocabulary):
    tags = vocabulary.tags_for("Uighur")
    assert [type(tag) for tag in tags] == [Tag] and tags[0].name == "Uyghurs"


def test_an_empty_vocabulary_finds_nothing():
    assert Vocabulary([]).tag_names_for("China, Iran and the United States") == []


def test_load_reads_every_tag_with_one_query(db, django_assert_num_queries):
    Tag.objects.create(name="China", aliases="Beijing")
    Tag.objects.create(name="Trade")
    with django_assert_num_queries(1):
        vocabulary = Vocabulary.load()
    assert vocabulary.tag_names_for("Beijing weighs trade") == ["China", "Trade"]


# The vocabulary file and load_vocabulary -----------------------------------------------------------


@pytest.fixture
def run():
    """Run load_vocabulary; return (stdout, the CommandError or None)."""

    def run(*args, **options):
        stdout = io.StringIO()
        try:
            call_command("load_vocabulary", *map(str, args), stdout=stdout, **options)
        except CommandError as error:
            return stdout.getvalue(), error
        return stdout.getvalue(), None

    return run


@pytest.fixture
def write_vocabulary(tmp_path):
    def write(data, name="vocabulary.json"):
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return write


def shipped_entries():
    return read_vocabulary_file(DEFAULT_VOCABULARY)


def test_the_shipped_vocabulary_is_valid_and_covers_the_desk():
    names = {entry.name for entry in shipped_entries()}
    assert {"Antony Blinken", "Wang Yi", "Xi Jinping", "Joe Biden", "Qin Gang"} <= names
    assert {
        "China",
        "United States",
        "Taiwan",
        "Russia",
        "Ukraine",
        "Iran",
        "North Korea",
        "Xinjiang",
    } <= names
    assert {
        "Human rights", "Trade", "Cybersecurity", "Climate change", "Nuclear nonproliferation",
        "Public health", "Sanctions", "Diplomacy", "US-China relations",
    } <= names  # fmt: skip
    for entry in shipped_entries():
        assert entry.description and "\n" not in entry.description, entry.name


def test_load_vocabulary_creates_the_tags_and_says_so(run, db):
    out, error = run()
    count = len(shipped_entries())
    assert error is None
    assert f"{count} created, 0 updated, 0 unchanged." in out
    assert Tag.objects.count() == count
    uyghurs = Tag.objects.get(name="Uyghurs")
    assert uyghurs.slug == "uyghurs"
    assert "Uighur" in uyghurs.aliases.splitlines()
    assert uyghurs.description.startswith("The mostly Muslim Turkic people")
    assert Tag.objects.get(name="Wang Yi").slug == "wang-yi"


def test_load_vocabulary_twice_changes_nothing(run, db):
    run()
    before = list(Tag.objects.values_list("pk", "name", "slug", "description", "aliases"))
    out, error = run()
    assert error is None
    assert f"0 created, 0 updated, {len(before)} unchanged." in out
    assert list(Tag.objects.values_list("pk", "name", "slug", "description", "aliases")) == before


def test_existing_tags_are_matched_ignoring_case_and_keep_name_and_slug(run, write_vocabulary, db):
    Tag.objects.create(name="china", slug="china-topic", description="Old words.")
    Tag.objects.create(name="Trade", description="Kept.", aliases="old alias")
    path = write_vocabulary(
        {
            "places": [{"name": "China", "description": "New words.", "aliases": ["Beijing"]}],
            "topics": [
                {"name": "Trade", "aliases": ["tariffs"]},
                {"name": "Iran", "description": "New tag.", "aliases": ["Tehran"]},
            ],
        }
    )
    out, error = run(path, verbosity=2)
    assert error is None
    assert f"Vocabulary {path}: 1 created, 2 updated, 0 unchanged." in out
    assert "created: Iran" in out and "updated: china" in out and "updated: Trade" in out
    assert Tag.objects.count() == 3
    china = Tag.objects.get(slug="china-topic")
    assert (china.name, china.description, china.aliases) == ("china", "New words.", "Beijing")
    trade = Tag.objects.get(name="Trade")
    assert (trade.description, trade.aliases) == ("Kept.", "tariffs")  # no description in the file


def test_an_alias_taken_out_of_the_file_goes(run, write_vocabulary, db):
    entry = {"name": "China", "description": "d", "aliases": ["Beijing", "PRC"]}
    run(write_vocabulary({"places": [entry]}))
    entry["aliases"] = ["Beijing"]
    out, _ = run(write_vocabulary({"places": [entry]}))
    assert "0 created, 1 updated, 0 unchanged." in out
    assert Tag.objects.get(name="China").aliases == "Beijing"


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"places": [', r"vocabulary\.json:1: not valid JSON"),
        ('["China"]', "expected an object of groups"),
        ('{"places": [{"description": "x"}]}', r"places\[0\]: every tag needs a name"),
        ('{"places": [{"name": "China", "alias": []}]}', "unknown key “alias”"),
        ('{"places": [{"name": "China", "aliases": "Beijing"}]}', "aliases must be a list"),
        (
            '{"places": [{"name": "China"}], "topics": [{"name": "CHINA"}]}',
            r"topics\[0\] \(CHINA\): CHINA is in the file twice",
        ),
        (
            '{"places": [{"name": "China", "aliases": ["Beijing"]}, '
            '{"name": "Capital", "aliases": ["beijing"]}]}',
            r"places\[1\] \(Capital\): “beijing” already means China",
        ),
        ('{"places": [{"name": "China", "aliases": ["..."]}]}', "“...” has no words in it"),
    ],
)
def test_a_bad_vocabulary_file_is_refused_with_nothing_written(run, write_vocabulary, db, content, message):
    out, error = run(write_vocabulary(content))
    assert error is not None and re.search(message, str(error)), error
    assert Tag.objects.count() == 0


def test_a_missing_vocabulary_file_is_named(run, tmp_path, db):
    _, error = run(tmp_path / "nowhere.json")
    assert "nowhere.json: no such file" in str(error)


def test_an_exception_may_repeat_another_tags_alias(write_vocabulary):
    path = write_vocabulary(
        {
            "places": [
                {"name": "United States", "aliases": ["America", "!Latin America"]},
                {"name": "Latin America"},
            ]
        }
    )
    assert [entry.name for entry in read_vocabulary_file(path)] == ["United States", "Latin America"]


# The seeds ------------------------------------------------------------------------------------------


@pytest.fixture
def desk_vocabulary(run, db):
    _, error = run()
    assert error is None
    return Vocabulary.load()


@pytest.mark.parametrize("folder", SEED_FOLDERS, ids=["content", "original"])
@pytest.mark.parametrize("seed", sorted(SEED_TAGS))
def test_the_seeds_get_the_tags_an_editor_would_pick(desk_vocabulary, folder, seed):
    headline, _, body = (folder / seed).read_text(encoding="utf-8").partition("\n\n")
    assert set(desk_vocabulary.tag_names_for(headline, body)) == SEED_TAGS[seed]


def test_the_sample_contents_tags_are_updated_not_duplicated(run, db):
    # The tags load_sample_content gives the seeds.
    names = ["Antony Blinken", "China", "United States", "US-China relations", "Human rights", "Trade"]
    for name in names:
        Tag.objects.create(name=name)
    out, _ = run()
    assert f"{len(shipped_entries()) - len(names)} created, {len(names)} updated, 0 unchanged." in out
    assert Tag.objects.filter(name__in=names).count() == len(names)


# The admin --------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_tag_list_shows_aliases_cut_short_and_finds_tags_by_them(admin_client, db):
    Tag.objects.create(name="Uyghurs", slug="uyghurs", aliases="Uighur\nUyghur\nUighurs")
    Tag.objects.create(
        name="Trade", slug="trade", aliases="tariffs\n" + "\n".join(f"word{n}" for n in range(40))
    )
    page = admin_client.get("/admin/articles/tag/").content.decode()
    assert "Uighur, Uyghur, Uighurs" in page
    assert "tariffs, word0" in page and "word39" not in page and "…" in page

    page = admin_client.get("/admin/articles/tag/?q=uighur").content.decode()
    assert "Uyghurs" in page and "tariffs" not in page


def test_aliases_are_edited_in_a_textarea(admin_client, db):
    tag = Tag.objects.create(name="Uyghurs", slug="uyghurs", aliases="Uighur")
    url = f"/admin/articles/tag/{tag.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert re.search(r'<textarea[^>]*name="aliases"[^>]*>\s*Uighur</textarea>', page)

    response = admin_client.post(
        url, {"name": "Uyghurs", "slug": "uyghurs", "description": "", "aliases": "Uighur\r\nUyghur\r\n"}
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert Vocabulary([tag]).tag_names_for("Uyghur activists") == ["Uyghurs"]
