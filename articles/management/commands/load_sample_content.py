"""``load_sample_content``: give a new site the desk's first coverage, from content/diplomacy/."""

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from articles.management.commands import import_articles
from articles.models import Article, Section

SAMPLE_FOLDER = settings.BASE_DIR / "content" / "diplomacy"
SECTION = "Diplomacy"
SECTION_DESCRIPTION = "Summits, state visits and the talks between capitals, from our foreign desk."
IMPORT_OPTIONS = {
    "section": SECTION,
    "author": ["Foreign Desk"],
    "tags": "Antony Blinken, China, United States, US-China relations, Human rights, Trade",
    "status": "published",
    "published_at": None,
    "dateline": "BEIJING",
}


# An import_articles with its arguments fixed: the same checks, messages and summary.
class Command(import_articles.Command):
    help = (
        f"Import the sample coverage in {SAMPLE_FOLDER.relative_to(settings.BASE_DIR)}/ into the "
        f"{SECTION} section, published. Only into a database without articles: anywhere else it "
        "does nothing, so it is safe to run on every deploy."
    )

    def add_arguments(self, parser):
        pass  # nothing to choose; the import's options are IMPORT_OPTIONS

    def handle(self, *args, verbosity, **options):
        if Article.objects.exists():
            self.stdout.write("Skipped the sample content: the database already has articles.")
            return
        # One transaction: if the import fails, the section made for it goes too.
        with transaction.atomic():
            section, _ = Section.objects.get_or_create(
                name=SECTION, defaults={"slug": slugify(SECTION), "description": SECTION_DESCRIPTION}
            )
            if not section.description:
                section.description = SECTION_DESCRIPTION
                section.save(update_fields=["description"])
            super().handle(
                paths=[SAMPLE_FOLDER], **IMPORT_OPTIONS, dry_run=False, keep_going=False, verbosity=verbosity
            )
