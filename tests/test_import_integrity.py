"""Issue 12, points 3 to 6 (the importer's half of 6): an import never replaces a story it did not
make, never reads outside the folder it was given, and turns malformed input and control characters
into ``path:line: reason``, never a traceback."""

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Section,
    SlugRedirect,
    Tag,
    TaggedArticle,
)

STORY = "Talks Resume in Geneva\n\nDiplomats met on Monday. They talked for hours.\n"
SAMPLE_FILE = STORY  # what the `write` fixture (conftest.py) writes by default


def markdown(*lines, body="Body text.\n"):
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


@pytest.fixture
def run():
    """Run import_articles as an operator does; return (stdout, stderr, the CommandError or None)."""

    def run(*args):
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            call_command("import_articles", *map(str, args), stdout=stdout, stderr=stderr)
        except CommandError as error:
            return stdout.getvalue(), stderr.getvalue(), error
        return stdout.getvalue(), stderr.getvalue(), None

    return run


def site():
    """What a reader or editor would notice of the database: every story, redirect and name."""
    return {
        "articles": sorted(Article.objects.values_list("pk", "slug", "headline", "source_name", "source_id")),
        "redirects": sorted(SlugRedirect.objects.values_list("old_slug", "article_id")),
        "counts": [
            m.objects.count() for m in (Section, Author, Tag, ArticleAuthor, TaggedArticle, Correction)
        ],
    }


# Point 3: an import never overwrites an unrelated article.


def test_two_index_md_files_in_different_folders_are_different_articles(db, run, write, tmp_path):
    write("hugo2/story-three/index.md", markdown("title: Story Three", "slug: story-three"))
    write("hugo1/story-one/index.md", markdown("title: Story One", "slug: story-one"))
    assert run(tmp_path / "hugo2")[2] is None

    stdout, _, error = run(tmp_path / "hugo1")

    assert error is None
    assert stdout == "1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    assert sorted(Article.objects.values_list("slug", "headline")) == [
        ("story-one", "Story One"),
        ("story-three", "Story Three"),
    ]
    assert not SlugRedirect.objects.exists()


def test_identity_is_the_path_inside_the_named_folder(db, run, write, tmp_path):
    write("site/a/index.md", markdown("title: Story A"))
    write("site/b/index.md", markdown("title: Story B"))
    write("loose.md", markdown("title: Loose"))

    stdout, _, error = run(tmp_path / "site", tmp_path / "loose.md")

    assert error is None and stdout.startswith("3 created")
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["a/index", "b/index", "loose"]


def test_rerun_of_a_folder_creates_no_duplicates_and_a_changed_file_updates_its_article(
    db, run, write, tmp_path
):
    write("site/a/index.md", markdown("title: Story A"))
    changed = write("site/b/index.md", markdown("title: Story B"))
    run(tmp_path / "site")
    pks = dict(Article.objects.values_list("source_id", "pk"))

    assert run(tmp_path / "site")[0] == "0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed\n"
    changed.write_text(markdown("title: Story B, Revised"))
    assert run(tmp_path / "site")[0] == "0 created, 1 updated, 1 unchanged, 0 skipped, 0 failed\n"

    assert dict(Article.objects.values_list("source_id", "pk")) == pks
    assert Article.objects.get(pk=pks["b/index"]).headline == "Story B, Revised"


def test_article_of_an_older_import_is_found_by_its_file_stem(db, run, write, tmp_path):
    # Before issue 12 an article's source id was its file name without the extension, as it still
    # is for a file named on the command line: this import makes the article an older one made.
    write("site/story-one/index.md", markdown("title: Story One", "slug: story-one"))
    run(tmp_path / "site" / "story-one" / "index.md")
    old = Article.objects.get(source_id="index")

    stdout, _, error = run(tmp_path / "site")

    assert error is None and stdout.startswith("0 created, 1 updated")
    old.refresh_from_db()
    assert (old.headline, old.source_id) == ("Story One", "story-one/index")
    assert Article.objects.count() == 1
    assert run(tmp_path / "site")[0].startswith("0 created, 0 updated, 1 unchanged")


def test_slug_of_an_older_import_of_another_file_is_an_error_not_an_overwrite(db, run, write, tmp_path):
    write("hugo2/story-three/index.md", markdown("title: Story Three", "slug: the-story"))
    run(tmp_path / "hugo2" / "story-three" / "index.md")  # source id "index", as before issue 12
    before = site()
    one = write("hugo1/story-one/index.md", markdown("title: Story One", "slug: the-story"))

    _, stderr, error = run(tmp_path / "hugo1")

    assert str(error) == "1 file failed; nothing was imported"
    assert stderr == f"{one}:3: slug 'the-story' is taken by another article, “Story Three”\n"
    assert site() == before


def test_older_import_of_another_file_with_the_same_headline_is_left_alone(db, run, write, tmp_path):
    write("site2/about/index.md", markdown("title: About", "dek: The second site."))
    run(tmp_path / "site2" / "about" / "index.md")  # source id "index", as before issue 12
    before = site()
    write("site1/about/index.md", markdown("title: About", "dek: The first site."))

    stdout, _, error = run(tmp_path / "site1")

    assert error is None and stdout.startswith("1 created, 0 updated")
    assert set(before["articles"]) < set(site()["articles"])
    assert sorted(Article.objects.values_list("dek", flat=True)) == ["The first site.", "The second site."]


def test_older_import_of_another_file_with_the_same_stem_is_left_alone(
    db, run, write, tmp_path, make_article
):
    make_article("Story Three", slug="story-three", source_name="markdown", source_id="index")
    before = site()
    write("hugo1/story-one/index.md", markdown("title: Story One", "slug: story-one"))

    stdout, _, error = run(tmp_path / "hugo1")

    assert error is None and stdout.startswith("1 created, 0 updated")
    assert [row for row in site()["articles"] if row[1] == "story-three"] == before["articles"]
    assert not SlugRedirect.objects.exists()


def test_two_files_never_claim_one_older_article(db, run, write, tmp_path, make_article):
    make_article("Story Three", slug="story-three", source_name="markdown", source_id="index")
    before = site()
    write("site/a/index.md", markdown("title: Story Three"))
    write("site/b/index.md", markdown("title: Story Three"))

    run(tmp_path / "site")

    assert [row for row in site()["articles"] if row[1] == "story-three"] == before["articles"]


def test_slug_of_an_article_from_another_source_is_an_error_naming_both(
    db, run, write, tmp_path, make_article
):
    make_article("Story Three", slug="story-three", source_name="plaintext", source_id="three")
    before = site()
    path = write("site/one/index.md", markdown("title: Story One", "slug: story-three"))

    _, stderr, error = run(tmp_path / "site")

    assert str(error) == "1 file failed; nothing was imported"
    assert stderr == f"{path}:3: slug 'story-three' is taken by another article, “Story Three”\n"
    assert site() == before


def test_former_slug_of_another_article_is_refused(db, run, write, tmp_path, make_article):
    story = make_article("Story Three", slug="story-three")
    story.slug = "story-three-renamed"
    story.save()
    before = site()
    path = write("one.md", markdown("title: Story One", "slug: story-three"))

    _, stderr, error = run(path)

    assert error is not None
    assert stderr == f"{path}:3: slug 'story-three' redirects to another article, “Story Three”\n"
    assert site() == before


def test_import_never_takes_over_another_articles_redirect(db, run, write, tmp_path, make_article):
    path = write("one.md", markdown("title: Story One", "slug: first"))
    run(path)
    mine = Article.objects.get()
    # A redirect left by an older version: the old address "first" leads to another story.
    other = make_article("Story Two", slug="story-two")
    SlugRedirect.objects.bulk_create([SlugRedirect(old_slug="first", article=other)])
    path.write_text(markdown("title: Story One", "slug: second"))

    run(path)

    mine.refresh_from_db()
    assert mine.slug == "second"
    assert dict(SlugRedirect.objects.values_list("old_slug", "article_id")) == {"first": other.pk}


# Point 4: only regular files inside the named folders are read.


def test_symlink_out_of_the_folder_is_skipped(db, run, write, tmp_path):
    secret = write("outside/passwd.txt", "root:x:0:0:root:/root:/bin/bash\n\nSecret text here.\n")
    write("inbox/story.txt")
    link = tmp_path / "inbox" / "passwd.txt"
    link.symlink_to(secret)

    stdout, stderr, error = run(tmp_path / "inbox")

    assert error is None
    assert stdout == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed\n"
    assert stderr == f"{link}: skipped: a symbolic link, not a regular file\n"
    assert list(Article.objects.values_list("headline", flat=True)) == ["Talks Resume in Geneva"]


def test_symlinked_folder_is_skipped(db, run, write, tmp_path):
    write("outside/other.txt")
    write("inbox/story.txt")
    link = tmp_path / "inbox" / "more"
    link.symlink_to(tmp_path / "outside", target_is_directory=True)

    stdout, stderr, _ = run(tmp_path / "inbox")

    assert stdout == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed\n"
    assert stderr == f"{link}: skipped: a symbolic link, not a regular file\n"
    assert Article.objects.get().source_id == "story"


def test_symlink_named_on_the_command_line_is_refused(db, run, write, tmp_path):
    # As a shell glob names it: import_articles uploads/*
    secret = write("outside/passwd.txt", "root:x:0:0:root:/root:/bin/bash\n\nSecret text here.\n")
    link = tmp_path / "uploads" / "passwd.txt"
    link.parent.mkdir()
    link.symlink_to(secret)

    _, stderr, error = run(link)

    assert str(error) == "1 file failed; nothing was imported"
    assert stderr == (
        f"{link}:1: a symbolic link; an import reads only regular files and folders, "
        "so name what it points to\n"
    )
    assert not Article.objects.exists()


def test_fifo_in_the_folder_is_skipped_without_opening_it(db, run, write, tmp_path):
    write("inbox/story.txt")
    fifo = tmp_path / "inbox" / "pipe.txt"
    os.mkfifo(fifo)

    stdout, stderr, error = run(tmp_path / "inbox")

    assert error is None
    assert stdout == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed\n"
    assert stderr == f"{fifo}: skipped: a named pipe (FIFO), not a regular file\n"


# Point 5: malformed input is path:line: reason, never a traceback.


def test_nul_escape_in_yaml_is_a_clear_error(db, run, write):
    path = write("nul.md", markdown('title: "Talks\\0 Resume"'))

    _, stderr, error = run(path)

    assert str(error) == "1 file failed; nothing was imported"
    assert stderr == f"{path}:2: headline contains a control character (U+0000)\n"
    assert Article.objects.count() == 0


def test_nul_escape_in_json_is_a_clear_error(db, run, write):
    path = write("nul.json", '{"title": "Talks", "section": "Dip\\u0000lomacy", "body": "Text."}')

    _, stderr, error = run(path)

    assert error is not None
    assert stderr == f"{path}:1: section contains a control character (U+0000)\n"
    assert Section.objects.count() == 0 and Article.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("surrogate.json", '{\n"title": "Talks \\ud800 Resume"\n}', 2),
        ("surrogate.md", markdown("section: World", 'title: "Talks \\ud800 Resume"'), 3),
    ],
)
def test_lone_surrogate_is_a_clear_error(db, run, write, name, content, line):
    path = write(name, content)

    _, stderr, error = run(path)

    assert error is not None
    assert stderr == f"{path}:{line}: headline contains a lone surrogate (U+D800)\n"
    assert Article.objects.count() == 0


def test_front_matter_nested_5000_deep_is_a_clear_error(db, run, write):
    path = write("deep.md", markdown("title: Deep", "tags: " + "[" * 5000 + "]" * 5000))

    _, stderr, error = run(path)

    assert error is not None
    assert stderr == f"{path}:2: malformed front matter: nested too deeply\n"


def test_keep_going_passes_over_malformed_files(db, run, write, tmp_path):
    write("inbox/good.txt")
    write("inbox/deep.md", markdown("title: Deep", "tags: " + "[" * 5000 + "]" * 5000))
    write("inbox/surrogate.json", '{"title": "Talks \\ud800"}')

    stdout, stderr, error = run(tmp_path / "inbox", "--keep-going")

    assert str(error) == "2 files failed; the others were imported"
    assert stdout == "1 created, 0 updated, 0 unchanged, 0 skipped, 2 failed\n"
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 2
    assert Article.objects.get().source_id == "good"


def test_file_name_with_newline_and_escape_prints_on_one_line(db, run, write, tmp_path):
    write("inbox/bad\nname\x1b.txt", "")

    _, stderr, error = run(tmp_path / "inbox")

    assert error is not None
    assert stderr == f"{tmp_path}/inbox/bad\\nname\\x1b.txt:1: empty file\n"


# Point 6 (importer half): no control character gets into a story.

VT = "\x0b"


@pytest.mark.parametrize(
    ("name", "content", "line", "field"),
    [
        ("plain.txt", f"Talks{VT}Resume in Geneva\n\nDiplomats met on Monday.\n", 1, "headline"),
        (
            "plain-body.txt",
            f"Talks Resume in Geneva\n\nDiplomats met.\n\nThey talked{VT} for hours.\n",
            5,
            "body",
        ),
        ("raw.md", markdown("section: World", f"title: Talks{VT}Resume"), 3, "headline"),
        ("escaped.md", markdown('title: "Talks\\vResume"'), 2, "headline"),
        ("dek.md", markdown("title: Talks", 'dek: "A\\x0bB"'), 3, "dek"),
        ("tag.md", markdown("title: Talks", 'tags: [China, "Tr\\vade"]'), 3, "tag"),
        ("author.md", markdown("title: Talks", 'authors: ["Ana\\vRuiz"]'), 3, "author name"),
        ("dateline.md", markdown("title: Talks", 'dateline: "BEI\\vJING"'), 3, "dateline"),
        ("body.md", markdown("title: Talks", body=f"First line.\n\nSecond{VT} paragraph.\n"), 6, "body"),
        (
            "correction.md",
            markdown(
                "title: Talks", "corrections:", "  - date: 2023-06-19T10:00:00+00:00", '    text: "A\\vB"'
            ),
            5,
            "correction 1",
        ),
        ("section.json", '{"title": "Talks",\n "section": "Dip\\u000blomacy"}', 2, "section"),
        ("body.json", '{"title": "Talks",\n "body": "Text\\u000b."}', 2, "body"),
    ],
)
def test_control_character_in_a_story_is_refused(db, run, write, make_article, name, content, line, field):
    make_article("Already Here")
    before = site()
    path = write(name, content)

    _, stderr, error = run(path)

    assert str(error) == "1 file failed; nothing was imported"
    assert stderr == f"{path}:{line}: {field} contains a control character (U+000B)\n"
    assert site() == before


def wxr(title="A Post", content="<p>Text.</p>"):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
        '  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
        "<channel>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
        f"<item>\n<title>{title}</title>\n<content:encoded><![CDATA[{content}]]></content:encoded>\n"
        "<wp:post_id>7</wp:post_id>\n<wp:status>publish</wp:status>\n"
        "<wp:post_date_gmt>2023-06-18 01:30:00</wp:post_date_gmt>\n<wp:post_type>post</wp:post_type>\n"
        "</item>\n</channel>\n</rss>\n"
    )


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [(wxr(title="Talks&amp;#11;Resume"), 8, "headline"), (wxr(content="<p>Text&#11;here.</p>"), 9, "body")],
)
def test_control_character_in_a_wordpress_post_is_refused(db, run, write, content, line, field):
    path = write("export.xml", content)

    _, stderr, error = run(path)

    assert error is not None
    assert stderr == f"{path}:{line}: {field} contains a control character (U+000B)\n"
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [
        ("--section", f"World{VT}", "the section name"),
        ("--author", f"Ana{VT}Ruiz", "an author name"),
        ("--tags", f"China,Tr{VT}ade", "a tag"),
        ("--dateline", f"BEI{VT}JING", "the dateline"),
    ],
)
def test_control_character_in_an_option_is_an_option_error(db, run, write, option, value, what):
    path = write("story.txt")

    _, _, error = run(path, option, value)

    assert str(error) == f"{what} ({option}) contains a control character (U+000B)"
    assert Article.objects.count() == 0
