"""WordPress exports with pictures: with the export's uploads folder (``--uploads DIR``) a post's
featured image becomes its lead picture and each ``[caption]`` picture a picture in its body; without
it they are left out with a warning. Nothing is ever downloaded."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from articles.importers import wxr
from articles.importing import ImportOptionError, import_paths
from articles.models import Article
from photos.models import LeadImage, Photo

pytestmark = pytest.mark.usefixtures("media")

SITE = "https://desk.example.org"


def picture(path, color=(40, 110, 170)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (160, 120), color).save(path, format="JPEG")
    return path.read_bytes()


@pytest.fixture
def uploads(tmp_path):
    """The export's wp-content/uploads folder, with two pictures."""
    folder = tmp_path / "wp-content" / "uploads"
    picture(folder / "2024" / "05" / "arrival.jpg")
    picture(folder / "2024" / "05" / "handshake.jpg", color=(200, 80, 30))
    return folder


def caption(src="2024/05/handshake.jpg", alt="Two ministers shake hands", text="The ministers met at noon.",
            attachment="302"):  # fmt: skip
    return (
        f'[caption id="attachment_{attachment}" align="alignnone" width="800"]'
        f'<img src="{SITE}/wp-content/uploads/{src}" alt="{alt}" width="800" height="533" /> {text}[/caption]'
    )


def post(post_id=101, content="<p>The envoy arrived.</p>", thumbnail="301", creator="ana"):
    meta = (
        f"<wp:postmeta>\n<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>\n"
        f"<wp:meta_value><![CDATA[{thumbnail}]]></wp:meta_value>\n</wp:postmeta>\n"
        if thumbnail
        else ""
    )
    return (
        f"<item>\n<title>Post {post_id}</title>\n<dc:creator><![CDATA[{creator}]]></dc:creator>\n"
        f"<content:encoded><![CDATA[{content}]]></content:encoded>\n"
        f"<wp:post_id>{post_id}</wp:post_id>\n<wp:status>publish</wp:status>\n"
        "<wp:post_date_gmt>2024-05-18 01:30:00</wp:post_date_gmt>\n<wp:post_type>post</wp:post_type>\n"
        f"<wp:post_name>post-{post_id}</wp:post_name>\n{meta}</item>\n"
    )


def attachment(post_id=301, url="2024/05/arrival.jpg", alt="The envoy on the tarmac", excerpt="Arrival.",
               creator="wangyi"):  # fmt: skip
    return (
        f"<item>\n<title>arrival</title>\n<dc:creator><![CDATA[{creator}]]></dc:creator>\n"
        f"<excerpt:encoded><![CDATA[{excerpt}]]></excerpt:encoded>\n"
        f"<wp:post_id>{post_id}</wp:post_id>\n<wp:status>inherit</wp:status>\n"
        "<wp:post_type>attachment</wp:post_type>\n"
        f"<wp:attachment_url>{SITE}/wp-content/uploads/{url}</wp:attachment_url>\n"
        "<wp:postmeta>\n<wp:meta_key><![CDATA[_wp_attachment_image_alt]]></wp:meta_key>\n"
        f"<wp:meta_value><![CDATA[{alt}]]></wp:meta_value>\n</wp:postmeta>\n</item>\n"
    )


AUTHORS = (
    "<wp:author><wp:author_login>ana</wp:author_login><wp:author_display_name>Ana Ruiz"
    "</wp:author_display_name></wp:author>\n"
    "<wp:author><wp:author_login>wangyi</wp:author_login><wp:author_display_name>Wang Yi"
    "</wp:author_display_name></wp:author>\n"
)


@pytest.fixture
def export(tmp_path):
    def write(*items, name="export.xml"):
        path = tmp_path / name
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
            '  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n'
            f"<channel>\n<wp:wxr_version>1.2</wp:wxr_version>\n{AUTHORS}{''.join(items)}</channel>\n</rss>\n"
        )
        return path

    return write


def line_of(path, text):
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def media_files(media):
    return [path for path in Path(media).rglob("*") if path.is_file()]


def test_the_featured_image_leads_and_a_caption_becomes_a_picture_in_the_body(db, export, uploads):
    content = f"<p>The envoy arrived.</p>\n{caption()}\n<p>Talks followed.</p>"
    path = export(post(content=content), attachment())

    report = import_paths([path], uploads=uploads)

    assert report.summary() == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed"
    assert not report.problems and not report.warnings
    article = Article.objects.get()
    lead = article.lead_image.photo
    # Alt text from the attachment's _wp_attachment_image_alt, caption from its excerpt, credit to
    # whoever uploaded it.
    assert (lead.alt_text, lead.caption, lead.credit) == ("The envoy on the tarmac", "Arrival.", "Wang Yi")
    assert lead.checksum == Photo.objects.get(pk=lead.pk).checksum
    [shown] = re.findall(r"photo:(\d+)", article.body)
    figure = Photo.objects.get(pk=shown)
    assert article.body == (
        "The envoy arrived.\n\n"
        f'![Two ministers shake hands](photo:{figure.pk} "The ministers met at noon.")\n\n'
        "Talks followed.\n"
    )
    # Rendered on the write, with the picture's id: a figure of its own renditions and its caption.
    assert "<figure" in article.body_html and f"{figure.checksum[:12]}-w480" in article.body_html
    assert "The ministers met at noon." in article.body_html
    # No attachment 302 in the export: credited to the post's author.
    assert (figure.alt_text, figure.caption, figure.credit) == (
        "Two ministers shake hands",
        "The ministers met at noon.",
        "Ana Ruiz",
    )
    assert Photo.objects.count() == 2


def test_reimporting_is_unchanged_and_adds_no_photo(db, export, uploads, media):
    path = export(post(content=caption()), attachment())
    import_paths([path], uploads=uploads)
    files = media_files(media)

    report = import_paths([path], uploads=uploads)

    assert report.summary() == "0 created, 0 updated, 1 unchanged, 1 skipped, 0 failed"
    assert Photo.objects.count() == 2 and media_files(media) == files


def test_a_changed_caption_updates_the_picture_the_body_showed(db, export, uploads):
    path = export(post(content=caption()), attachment())
    import_paths([path], uploads=uploads)
    photo = Photo.objects.get(caption="The ministers met at noon.")

    export(post(content=caption(text="They met at one.")), attachment())
    report = import_paths([path], uploads=uploads)

    assert report.updated == 1
    photo.refresh_from_db()
    assert photo.caption == "They met at one."
    assert f'(photo:{photo.pk} "They met at one.")' in Article.objects.get().body
    assert Photo.objects.count() == 2


def test_without_uploads_the_pictures_are_left_out_with_a_warning(db, export, media):
    path = export(post(content=f"<p>The envoy arrived.</p>{caption()}"), attachment())

    report = import_paths([path])

    assert report.created == 1 and not report.problems
    line = line_of(path, "<item>")
    assert [str(warning) for warning in report.warnings] == [
        f"{path}:{line}: post 101: pictures left out (its featured image and 1 [caption] picture): "
        "import with --uploads DIR, the export's wp-content/uploads folder, to bring them in; "
        "nothing is downloaded",
        f"{path}:{line}: post 101: removed WordPress shortcodes [caption]; check what they showed",
    ]
    assert Article.objects.get().body == "The envoy arrived.\n"
    assert not Photo.objects.exists() and not media_files(media)


def test_then_importing_with_uploads_brings_the_pictures_in(db, export, uploads):
    path = export(post(content=caption()), attachment())
    import_paths([path])

    report = import_paths([path], uploads=uploads)

    assert report.updated == 1
    assert LeadImage.objects.count() == 1 and Photo.objects.count() == 2


def test_a_missing_upload_is_a_problem_at_its_line_and_nothing_is_stored(db, export, uploads, media):
    content = f"<p>The envoy arrived.</p>\n\n{caption(src='2024/05/gone.jpg')}"
    path = export(post(content=content, thumbnail=""))

    report = import_paths([path], uploads=uploads)

    assert [str(problem) for problem in report.problems] == [
        f"{path}:{line_of(path, '[caption')}: post 101: picture '2024/05/gone.jpg': no such file: "
        f"{uploads / '2024' / '05' / 'gone.jpg'}"
    ]
    assert not Article.objects.exists() and not Photo.objects.exists() and not media_files(media)


def test_a_missing_featured_image_file_is_a_problem_at_its_thumbnail_line(db, export, uploads, media):
    path = export(post(), attachment(url="2023/01/lost.jpg"))

    [problem] = import_paths([path], uploads=uploads).problems

    assert problem.line == line_of(path, "_thumbnail_id")
    assert problem.reason.startswith("post 101: featured image '2023/01/lost.jpg': no such file: ")
    assert not Article.objects.exists() and not media_files(media)


def test_an_upload_without_alt_text_is_a_problem(db, export, uploads, media):
    path = export(post(thumbnail=""), post(102, content=caption(alt="")))

    [problem] = import_paths([path], uploads=uploads).problems

    assert problem.reason == (
        "post 102: picture '2024/05/handshake.jpg': no alt text: say what the picture shows, for "
        "readers who cannot see it"
    )
    assert not Article.objects.exists() and not media_files(media)


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        ("../../../../etc/secret.jpg", "leads out of the uploads folder"),
        ("%2e%2e/%2E%2E/secret.jpg", "leads out of the uploads folder"),
        ("/etc/secret.jpg", "leads out of the uploads folder"),
        ("a%00b.jpg", "contains a control character (U+0000)"),
    ],
)
def test_an_address_leading_out_of_the_uploads_folder_is_refused(db, export, uploads, media, src, reason):
    path = export(post(content=f"<p>One.</p>\n\n{caption(src=src)}", thumbnail=""))

    [problem] = import_paths([path], uploads=uploads).problems

    assert problem.line == line_of(path, "[caption")
    assert problem.reason == f"post 101: picture address '{SITE}/wp-content/uploads/{src}' {reason}"
    assert not Article.objects.exists() and not media_files(media)


def test_a_featured_image_not_in_the_export_or_not_an_upload_is_left_out_with_a_warning(db, export, uploads):
    outside = attachment(303, alt="Elsewhere").replace(
        f"{SITE}/wp-content/uploads/", "https://cdn.example.net/"
    )
    path = export(post(thumbnail="999"), post(102, thumbnail="303"), outside)

    report = import_paths([path], uploads=uploads)

    assert report.created == 2 and not report.problems
    assert [warning.reason for warning in report.warnings] == [
        "post 101: featured image (attachment 999) is not in this export; left out",
        "post 102: featured image https://cdn.example.net/2024/05/arrival.jpg is not in wp-content/uploads; "
        "left out",
    ]
    assert not Photo.objects.exists()


def test_a_dry_run_with_uploads_stores_nothing(db, export, uploads, media):
    path = export(post(content=caption()), attachment())

    report = import_paths([path], uploads=uploads, dry_run=True)

    assert report.summary().startswith("Dry run: 1 created")
    assert not Photo.objects.exists() and not media_files(media)


def test_the_same_upload_in_several_posts_is_one_photo(db, export, uploads):
    path = export(post(101), post(102), post(103), attachment())

    import_paths([path], uploads=uploads)

    photo = Photo.objects.get()
    assert sorted(LeadImage.objects.values_list("photo", flat=True)) == [photo.pk] * 3


def test_captions_with_markup_and_quotes_survive_as_markdown():
    # The caption in the shortcode's caption="" (older WordPress), or as its text.
    content = wxr.convert_content(
        '<p>Before.</p>[caption id="" caption="He said &quot;yes&quot; twice"]'
        f'<a href="{SITE}/x"><img src="{SITE}/wp-content/uploads/a.jpg" alt="A *bold* [claim]"></a>[/caption]'
        f'[caption id="attachment_7"]<img src="{SITE}/wp-content/uploads/b.jpg" alt="B"> A back\\slash '
        "<em>[sic]</em>[/caption]<p>After.</p>",
        figure=lambda found: found,
    )

    assert content.body == (
        "Before.\n\n"
        r'![A \*bold\* \[claim\]](photo:new "He said \"yes\" twice")' + "\n\n"
        r'![B](photo:new "A back\\slash [sic]")' + "\n\n"
        "After.\n"
    )
    first, second = content.figures
    assert all(content.body[offset:].startswith("photo:new") for offset, _ in content.figures)
    assert (first[1].alt, first[1].caption, first[1].attachment_id) == (
        "A *bold* [claim]",
        'He said "yes" twice',
        "",
    )
    assert (second[1].src, second[1].attachment_id) == (f"{SITE}/wp-content/uploads/b.jpg", "7")


def test_the_command_takes_uploads_and_refuses_a_folder_that_is_not_there(db, export, uploads, tmp_path):
    path = export(post(content=caption()), attachment())
    stdout = io.StringIO()

    call_command("import_articles", str(path), "--uploads", str(uploads), stdout=stdout, stderr=io.StringIO())

    assert stdout.getvalue() == "1 created, 0 updated, 0 unchanged, 1 skipped, 0 failed\n"
    with pytest.raises(CommandError, match="the uploads folder .--uploads. .* does not exist"):
        call_command("import_articles", str(path), "--uploads", str(tmp_path / "nope"), stdout=io.StringIO())
    with pytest.raises(ImportOptionError, match="is not a folder"):
        import_paths([path], uploads=path)


def test_the_sample_export_with_its_uploads_folder(db, tmp_path):
    site = Path(__file__).parent / "fixtures" / "wxr" / "site.xml"
    picture(tmp_path / "uploads" / "2023" / "06" / "arrival.jpg")

    report = import_paths([site], uploads=tmp_path / "uploads")

    assert report.created == 5 and not report.problems
    lead = Article.objects.get(source_id="101")
    photo = Photo.objects.get()
    assert f'![Arrival](photo:{photo.pk} "Blinken on the tarmac.")' in lead.body
    # Attachment 301 was uploaded by "ana".
    assert (photo.alt_text, photo.caption, photo.credit) == ("Arrival", "Blinken on the tarmac.", "Ana Ruiz")
    assert not any("[caption]" in warning.reason for warning in report.warnings)
