"""``load_sample_pictures``: give the sample coverage its photographs, from content/pictures/."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.models import Article
from photos.checks import ImageRefused, check_upload
from photos.library import store_photo
from photos.models import LeadImage, Photo

SAMPLE_FOLDER = settings.BASE_DIR / "content" / "pictures"
MANIFEST = SAMPLE_FOLDER / "pictures.json"
# The sample stories come in through the plain-text importer, which names them by file.
SAMPLE_SOURCE = "plaintext"


class Command(BaseCommand):
    help = (
        "Give each sample story (load_sample_content) the picture content/pictures/pictures.json names "
        "for it. A story that already leads with a picture keeps it, so it is safe to run on every deploy."
    )

    def handle(self, *args, **options):
        try:
            entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{MANIFEST}:1: cannot read the sample pictures: {error}") from None
        given = 0
        for entry in entries:
            story = Article.objects.filter(source_name=SAMPLE_SOURCE, source_id=entry["story"]).first()
            if story is None or LeadImage.objects.filter(article=story).exists():
                continue
            path = SAMPLE_FOLDER / entry["file"]
            with transaction.atomic():
                LeadImage.objects.create(article=story, photo=self.photo(path, entry))
            given += 1
        stories = "story" if given == 1 else "stories"
        self.stdout.write(f"Sample pictures: {given} {stories} given a lead picture.")

    def photo(self, path, entry):
        try:
            with path.open("rb") as file:
                checked = check_upload(file)
        except OSError as error:
            raise CommandError(f"{path}:1: cannot read the picture: {error.strerror}") from None
        except ImageRefused as error:
            raise CommandError(f"{path}:1: {' '.join(error.messages)}") from None
        # The same file loaded before (another story, an earlier run) is the same library picture.
        known = Photo.objects.filter(checksum=checked.checksum).first()
        if known:
            return known
        texts = {key: entry[key] for key in ("caption", "credit", "source")}
        return store_photo(checked, alt_text=entry["alt"], focal=tuple(entry["focal"]), **texts)
