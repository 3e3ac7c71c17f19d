"""A story's lead picture through import and export: Markdown front matter and our JSON name a file
beside the article (``image``, ``image_alt``, ``image_caption``, ``image_credit``); the export writes
the original beside the stories; the round trip gives back the same bytes."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from articles import publishing
from articles.exporting import export_articles
from articles.importing import import_paths
from articles.models import Article, Author, Section, Tag
from photos.library import add_photo
from photos.models import LeadImage, Photo, Rendition

pytestmark = pytest.mark.usefixtures("media")

TEXTS = {
    "image_alt": "The envoy on the tarmac",
    "image_caption": "Antony Blinken lands in Beijing.",
    "image_credit": "Ana Ruiz/Desk",
}


def picture(path, size=(160, 120), color=(40, 110, 170), fmt="JPEG"):
    """Write a real picture with Pillow; return its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, color)
    image.paste((200, 60, 40), (size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2))
    image.save(path, format=fmt)
    return path.read_bytes()


def markdown(folder, name="envoy.md", title="Envoy Lands in Beijing", image="images/envoy.jpg", **texts):
    """Write a Markdown story naming ``image`` (None: no image keys); return its path."""
    lines = ["---", f"title: {title}", "section: Diplomacy"]
    if image is not None:
        lines.append(f"image: {image}")
    for key, value in {**TEXTS, **texts}.items() if image is not None else texts.items():
        if value is not None:
            lines.append(f"{key}: {json.dumps(value)}")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*lines, "---", "", "The envoy arrived on Sunday.", ""]))
    return path


def line_of(path, text):
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def media_files(media):
    return sorted(str(path.relative_to(media)) for path in Path(media).rglob("*") if path.is_file())


def nothing_stored(media):
    return (
        not Article.objects.exists()
        and not Photo.objects.exists()
        and not LeadImage.objects.exists()
        and media_files(media) == []
    )


# Markdown and JSON in.


def test_a_markdown_story_leads_with_the_picture_beside_it(db, tmp_path, media):
    data = picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in")

    report = import_paths([tmp_path / "in"])

    assert not report.problems and not report.warnings
    assert (report.created, report.failed) == (1, 0)
    article = Article.objects.get()
    photo = article.lead_image.photo
    assert (photo.alt_text, photo.caption, photo.credit) == tuple(TEXTS.values())
    # A clean file is stored as it came: the same bytes, the same checksum.
    assert photo.checksum == hashlib.sha256(data).hexdigest()
    with photo.file.open("rb") as stored:
        assert stored.read() == data
    assert (photo.width, photo.height, photo.format) == (160, 120, "JPEG")
    assert Rendition.objects.filter(photo=photo).exists()  # the pages' renditions, made once


def test_a_json_list_names_pictures_relative_to_its_file_and_one_file_is_one_photo(db, tmp_path):
    picture(tmp_path / "in" / "pics" / "envoy.png", fmt="PNG")
    items = [
        {"title": "Envoy Lands", "image": "pics/envoy.png", **TEXTS, "body": "One.\n"},
        {"title": "Envoy Leaves", "image": "pics/envoy.png", **TEXTS, "body": "Two.\n"},
        {"title": "No Picture", "body": "Three.\n"},
    ]
    (tmp_path / "in" / "articles.json").write_text(json.dumps(items, indent=2))

    report = import_paths([tmp_path / "in" / "articles.json"])

    assert report.created == 3 and not report.problems
    photo = Photo.objects.get()
    assert photo.format == "PNG"
    assert sorted(LeadImage.objects.values_list("article__headline", "photo")) == [
        ("Envoy Lands", photo.pk),
        ("Envoy Leaves", photo.pk),
    ]


def test_reimporting_is_unchanged_and_adds_no_photo(db, tmp_path, media):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in")
    import_paths([tmp_path / "in"])
    files = media_files(media)

    report = import_paths([tmp_path / "in"])

    assert report.summary().startswith("0 created, 0 updated, 1 unchanged")
    assert Photo.objects.count() == 1 and LeadImage.objects.count() == 1
    assert media_files(media) == files


def test_the_same_picture_already_in_the_library_is_used_again(db, tmp_path):
    data = picture(tmp_path / "in" / "images" / "envoy.jpg")
    desk = add_photo(io.BytesIO(data), alt_text=TEXTS["image_alt"], credit=TEXTS["image_credit"],
                     caption=TEXTS["image_caption"])  # fmt: skip
    markdown(tmp_path / "in")

    import_paths([tmp_path / "in"])

    assert list(Photo.objects.all()) == [desk]
    assert Article.objects.get().lead_image.photo == desk


def test_a_changed_caption_updates_the_story_and_its_picture(db, tmp_path):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    path = markdown(tmp_path / "in")
    import_paths([tmp_path / "in"])
    photo = Photo.objects.get()

    markdown(tmp_path / "in", image_caption="Blinken arrives at dawn.")
    report = import_paths([path])

    assert (report.updated, report.created) == (1, 0)
    photo.refresh_from_db()
    assert photo.caption == "Blinken arrives at dawn."
    assert Photo.objects.count() == 1


def test_stories_sharing_a_file_with_their_own_captions_keep_them(db, tmp_path):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    first = markdown(tmp_path / "in", "first.md", title="First")
    second = markdown(tmp_path / "in", "second.md", title="Second")
    import_paths([tmp_path / "in"])
    assert Photo.objects.count() == 1  # the same bytes and texts: one picture

    markdown(tmp_path / "in", "first.md", title="First", image_caption="At dawn.")
    markdown(tmp_path / "in", "second.md", title="Second", image_caption="At dusk.")
    report = import_paths([first, second])

    assert report.updated == 2
    captions = dict(LeadImage.objects.values_list("article__headline", "photo__caption"))
    assert captions == {"First": "At dawn.", "Second": "At dusk."}
    assert Photo.objects.count() == 2
    assert import_paths([first, second]).unchanged == 2


def test_a_changed_picture_file_becomes_the_new_lead(db, tmp_path):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    path = markdown(tmp_path / "in")
    import_paths([path])
    picture(tmp_path / "in" / "images" / "envoy.jpg", color=(250, 250, 0))

    report = import_paths([path])

    assert report.updated == 1
    assert Photo.objects.count() == 2
    lead = Article.objects.get().lead_image.photo
    assert lead == Photo.objects.order_by("pk").last()


def test_a_changed_file_without_image_keys_leaves_the_lead_picture_alone(db, tmp_path):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    path = markdown(tmp_path / "in")
    import_paths([path])

    markdown(tmp_path / "in", image=None)
    report = import_paths([path])

    assert report.updated == 1
    assert LeadImage.objects.filter(article=Article.objects.get()).exists()


# Bad input: path:line, exit non-zero, nothing stored.


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("images/missing.jpg", "image 'images/missing.jpg': no such file: {folder}/images/missing.jpg"),
        (
            "../outside.jpg",
            "image '../outside.jpg' leads out of the article's folder ('..'); put the picture in that "
            "folder or one below it",
        ),
        (
            "images/../../outside.jpg",
            "image 'images/../../outside.jpg' leads out of the article's folder ('..'); put the picture "
            "in that folder or one below it",
        ),
        (
            "/etc/passwd",
            "image '/etc/passwd' is an absolute path; give the picture's path from the article's folder, "
            "e.g. images/envoy.jpg",
        ),
        (
            "https://example.org/envoy.jpg",
            "image 'https://example.org/envoy.jpg' is an address; name a picture file beside the "
            "article (nothing is downloaded)",
        ),
        ("images", "image 'images': not a regular file"),
    ],
)
def test_a_picture_that_cannot_be_read_is_a_problem_at_its_line(db, tmp_path, media, image, reason):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    path = markdown(tmp_path / "in", image=image)

    report = import_paths([tmp_path / "in"])

    assert [str(problem) for problem in report.problems] == [
        f"{path}:{line_of(path, 'image:')}: {reason.format(folder=tmp_path / 'in')}"
    ]
    assert nothing_stored(media)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xd8\xff\xe0 a JPEG's start, then nonsense", "The picture is damaged and cannot be read"),
        (b"PK\x03\x04 a zip file renamed", "This is not a picture Newsroom can read"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a picture"),
        (b"<!doctype html><html><body>hello</body></html>", "not a picture"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_with_the_librarys_reason(
    db, tmp_path, media, content, reason
):
    (tmp_path / "in" / "images").mkdir(parents=True)
    (tmp_path / "in" / "images" / "envoy.jpg").write_bytes(content)
    path = markdown(tmp_path / "in")

    report = import_paths([tmp_path / "in"])

    [problem] = report.problems
    assert str(problem).startswith(f"{path}:{line_of(path, 'image:')}: image 'images/envoy.jpg': ")
    assert reason in problem.reason
    assert nothing_stored(media)


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [
        ("MAX_UPLOAD_BYTES", 100, "The file is 0 MB; a picture can be at most 0 MB."),
        ("MAX_PIXELS", 10_000, "The picture is 160 x 120 pixels; at most 0 megapixels are accepted."),
    ],
)
def test_a_picture_too_large_is_refused(db, tmp_path, media, monkeypatch, limit, value, reason):
    monkeypatch.setattr(f"photos.checks.{limit}", value)
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in")

    [problem] = import_paths([tmp_path / "in"]).problems

    assert problem.reason.startswith(f"image 'images/envoy.jpg': {reason}")
    assert nothing_stored(media)


def test_a_decompression_bomb_is_refused(db, tmp_path, media, monkeypatch):
    # Pillow's own guard, at a tiny limit: a PNG whose pixels would fill gigabytes of memory.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    picture(tmp_path / "in" / "images" / "envoy.png", fmt="PNG")
    markdown(tmp_path / "in", image="images/envoy.png")

    [problem] = import_paths([tmp_path / "in"]).problems

    assert "megapixels in memory; it is refused" in problem.reason
    assert nothing_stored(media)


def test_a_truncated_picture_is_damaged(db, tmp_path, media):
    data = picture(tmp_path / "in" / "images" / "envoy.jpg", size=(400, 300))
    (tmp_path / "in" / "images" / "envoy.jpg").write_bytes(data[: len(data) // 2])
    markdown(tmp_path / "in")

    [problem] = import_paths([tmp_path / "in"]).problems

    assert "The picture is damaged and cannot be read" in problem.reason
    assert nothing_stored(media)


@pytest.mark.parametrize(
    ("texts", "key", "reason"),
    [
        ({"image_alt": None}, "image:", "no alt text: say what the picture shows"),
        ({"image_alt": "  "}, "image_alt:", "no alt text: say what the picture shows"),
        ({"image_credit": None}, "image:", "no credit: name the photographer and agency"),
        ({"image_alt": "x" * 251}, "image_alt:", "alt text is 251 characters; the limit is 250"),
    ],
)
def test_a_picture_without_alt_text_or_credit_is_a_problem(db, tmp_path, media, texts, key, reason):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    path = markdown(tmp_path / "in", **texts)

    [problem] = import_paths([tmp_path / "in"]).problems

    assert str(problem).startswith(f"{path}:{line_of(path, key)}: image 'images/envoy.jpg': {reason}")
    assert nothing_stored(media)


def test_picture_texts_without_a_picture_are_a_problem(db, tmp_path):
    path = markdown(tmp_path / "in", image=None, image_alt="The envoy")

    [problem] = import_paths([path]).problems

    assert str(problem) == (
        f"{path}:{line_of(path, 'image_alt:')}: image_alt but no image: name the picture file, "
        "e.g. image: images/envoy.jpg"
    )


def test_a_link_leading_out_of_the_folder_is_refused(db, tmp_path, media):
    picture(tmp_path / "elsewhere" / "secret.jpg")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "images").symlink_to(tmp_path / "elsewhere")
    path = markdown(tmp_path / "in", image="images/secret.jpg")

    [problem] = import_paths([path]).problems

    assert (
        problem.reason == f"image 'images/secret.jpg': leads out of {tmp_path / 'in'} through a symbolic link"
    )
    assert nothing_stored(media)


def test_one_bad_picture_means_nothing_is_stored_and_keep_going_imports_the_good(db, tmp_path, media):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in", "good.md")
    markdown(tmp_path / "in", "bad.md", title="Another Story", image="images/missing.jpg")

    report = import_paths([tmp_path / "in"])

    assert report.failed == 1 and report.created == 0
    assert nothing_stored(media)

    report = import_paths([tmp_path / "in"], keep_going=True)

    assert (report.created, report.failed) == (1, 1)
    assert Article.objects.get().headline == "Envoy Lands in Beijing"
    assert Photo.objects.count() == 1


def test_a_dry_run_stores_no_picture(db, tmp_path, media):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in")

    report = import_paths([tmp_path / "in"], dry_run=True)

    assert report.summary().startswith("Dry run: 1 created")
    assert nothing_stored(media)


def test_pictures_stored_by_an_import_that_fails_while_writing_are_deleted(db, tmp_path, media, monkeypatch):
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    markdown(tmp_path / "in")

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(publishing, "after_bulk_write", fail)
    with pytest.raises(RuntimeError):
        import_paths([tmp_path / "in"])

    assert nothing_stored(media)


def test_the_command_prints_path_line_and_exits_non_zero(db, tmp_path, media):
    path = markdown(tmp_path / "in", image="images/missing.jpg")
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="^1 file failed; nothing was imported$"):
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue() == (
        f"{path}:{line_of(path, 'image:')}: image 'images/missing.jpg': no such file: "
        f"{tmp_path / 'in' / 'images' / 'missing.jpg'}\n"
    )
    assert nothing_stored(media)


# Export, and the round trip.


@pytest.fixture
def desk(db, make_article, make_photo, lead_with):
    """Stories written here: two lead with the same picture, one with a PNG, one with none."""
    jpeg = make_photo(400, 300, caption="Arrival at dawn.")
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 200, 90)).save(out, format="PNG")
    png = add_photo(io.BytesIO(out.getvalue()), alt_text="A handshake", credit="Wang Yi/Agency")
    lead_with(make_article("Envoy Lands", slug="envoy-lands", tags=("China",)), jpeg)
    lead_with(make_article("Envoy Leaves", slug="envoy-leaves"), jpeg)
    lead_with(make_article("Talks Begin", slug="talks-begin", dek="In Beijing."), png)
    make_article("No Picture", slug="no-picture")
    return {"jpeg": jpeg, "png": png}


def files_of(folder):
    folder = Path(folder)
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def stored_bytes(photo):
    with photo.file.open("rb") as stored:
        return stored.read()


def test_the_markdown_export_writes_each_original_once_beside_the_stories(desk, tmp_path):
    jpeg, png = desk["jpeg"], desk["png"]

    report = export_articles(tmp_path / "out")

    jpeg_name, png_name = f"images/{jpeg.checksum[:20]}.jpg", f"images/{png.checksum[:20]}.png"
    files = files_of(tmp_path / "out")
    assert sorted(files) == sorted(
        [jpeg_name, png_name, "envoy-lands.md", "envoy-leaves.md", "no-picture.md", "talks-begin.md"]
    )
    assert files[jpeg_name] == stored_bytes(jpeg) and files[png_name] == stored_bytes(png)
    assert report.summary() == f"Exported 4 articles to 4 files and 2 pictures in {tmp_path / 'out'}"
    text = (tmp_path / "out" / "envoy-lands.md").read_text()
    assert text.split("---\n")[1].endswith(
        "corrections: []\n"
        f"image: {jpeg_name}\n"
        "image_alt: The envoy on the tarmac\n"
        "image_caption: Arrival at dawn.\n"
        "image_credit: Ana Ruiz/Desk\n"
    )
    assert "image" not in (tmp_path / "out" / "no-picture.md").read_text()


def test_the_json_export_names_the_pictures_relative_to_its_file(desk, tmp_path):
    export_articles(tmp_path / "out", format="json")

    data = {item["slug"]: item for item in json.loads((tmp_path / "out" / "articles.json").read_text())}
    talks = data["talks-begin"]
    assert (talks["image"], talks["image_alt"], talks["image_caption"], talks["image_credit"]) == (
        f"images/{desk['png'].checksum[:20]}.png",
        "A handshake",
        "",
        "Wang Yi/Agency",
    )
    assert "image" not in data["no-picture"]
    assert (tmp_path / "out" / talks["image"]).read_bytes() == stored_bytes(desk["png"])


def empty_the_database():
    LeadImage.objects.all().delete()
    Photo.objects.all().delete()
    Article.objects.all().delete()
    for model in (Section, Author, Tag):
        model.objects.all().delete()


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_import_into_an_empty_database_export_again_is_byte_identical(desk, tmp_path, media, fmt):
    leads = {
        lead.article.slug: lead.photo.checksum
        for lead in LeadImage.objects.select_related("article", "photo")
    }
    export_articles(tmp_path / "first", format=fmt)
    empty_the_database()
    for path in Path(media).rglob("*"):  # an empty library too
        if path.is_file():
            path.unlink()

    report = import_paths([tmp_path / "first"])
    export_articles(tmp_path / "second", format=fmt)

    assert (report.created, report.failed) == (4, 0) and not report.warnings
    assert Photo.objects.count() == 2
    after = {
        lead.article.slug: lead.photo.checksum
        for lead in LeadImage.objects.select_related("article", "photo")
    }
    assert after == leads
    assert files_of(tmp_path / "second") == files_of(tmp_path / "first")


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_importing_an_export_into_its_own_database_adds_no_picture(desk, tmp_path, fmt):
    export_articles(tmp_path / "out", format=fmt)
    photos = set(Photo.objects.values_list("pk", flat=True))

    report = import_paths([tmp_path / "out"])

    assert report.created == 0 and not report.problems
    assert set(Photo.objects.values_list("pk", flat=True)) == photos
    assert import_paths([tmp_path / "out"]).unchanged == 4


def test_an_export_whose_picture_file_is_lost_says_which_story(desk, tmp_path):
    desk["png"].file.storage.delete(desk["png"].file.name)

    with pytest.raises(
        Exception, match="the lead picture of 'talks-begin' cannot be read from the picture library"
    ):
        export_articles(tmp_path / "out")


def test_pictures_are_checked_in_worker_processes_too(db, tmp_path, media, monkeypatch):
    # What a 100,000-file import does: parse and check in worker processes, write in batches.
    monkeypatch.setattr("articles.importing.reading.PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr("articles.importing.writing.WRITE_BATCH", 2)
    picture(tmp_path / "in" / "images" / "envoy.jpg")
    picture(tmp_path / "in" / "images" / "other.png", fmt="PNG")
    for number in range(5):
        image = "images/envoy.jpg" if number % 2 else "images/other.png"
        markdown(tmp_path / "in", f"story-{number}.md", title=f"Story {number}", image=image)

    report = import_paths([tmp_path / "in"])

    assert (report.created, report.failed) == (5, 0)
    assert Photo.objects.count() == 2 and LeadImage.objects.count() == 5
    assert import_paths([tmp_path / "in"]).unchanged == 5
