"""The picture library behind articles.picture_files: pictures an import names, checked as an upload
is (photos.checks) and stored as one is (photos.library), and stories' lead pictures for an export.

A picture is known by its checksum, the sha256 of the stored original. An import that names a
picture the library already has (same checksum, same alt text, caption and credit) uses it: a re-run
adds nothing. One whose texts changed updates the picture the story already showed, rather than
adding a second copy of it, unless another story of the same import already took that picture with
its present texts; only then, or for a picture new to the story with texts no picture of those bytes
has, is a picture stored anew. The texts are the picture's, so a picture shared by several stories
shows the texts the last import gave it.
"""

from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from articles.picture_files import CheckedFile, Original, register_library
from photos.checks import CheckedImage, ImageRefused, check_upload
from photos.library import store_photo
from photos.models import LeadImage, Photo

_TEXT_FIELDS = {"alt": "alt_text", "caption": "caption", "credit": "credit"}
# Articles per query when reading lead pictures.
_CHUNK = 500


@dataclass(frozen=True)
class _Facts:
    """What the check found of a picture besides its bytes, to store it without decoding it again."""

    format: str
    width: int
    height: int


class PictureTransfer:
    def text_problem(self, alt, caption, credit):
        if not alt.strip():
            return ("alt", "no alt text: say what the picture shows, for readers who cannot see it")
        if not credit.strip():
            return ("credit", "no credit: name the photographer and agency, e.g. Jane Doe/Reuters")
        for which, text in (("alt", alt), ("credit", credit)):
            limit = Photo._meta.get_field(_TEXT_FIELDS[which]).max_length
            if len(text.strip()) > limit:
                return (which, f"{which} text is {len(text.strip())} characters; the limit is {limit}")
        return None

    def check_file(self, file):
        try:
            checked = check_upload(file)
        except ImageRefused as refusal:
            return " ".join(refusal.messages)
        facts = _Facts(checked.format, checked.width, checked.height)
        return CheckedFile(checked.data, checked.checksum, checked.extension, facts)

    def writer(self):
        return _Writer()

    def lead_originals(self, article_ids):
        found = {}
        for start in range(0, len(article_ids), _CHUNK):
            leads = LeadImage.objects.filter(article_id__in=article_ids[start : start + _CHUNK])
            for lead in leads.select_related("photo"):
                photo = lead.photo
                found[lead.article_id] = Original(
                    checksum=photo.checksum,
                    extension=photo.extension,
                    alt=photo.alt_text,
                    caption=photo.caption,
                    credit=photo.credit,
                    open=partial(photo.file.storage.open, photo.file.name, "rb"),
                )
        return found


class _Writer:
    """One import's pictures: found by checksum (a query per batch of new checksums), stored when
    new, and the names of the files stored, to delete if the import is rolled back."""

    def __init__(self):
        self._by_checksum = {}
        self._stored = []
        # The photos this import has given a story or a body: their texts are no longer free to change.
        self._taken = set()

    def add(self, pictures, *, prefer=()):
        self._load(picture.checksum for picture in pictures)
        return [self._place(picture, set(prefer)).pk for picture in pictures]

    def set_leads(self, leads):
        self._load(picture.checksum for _, picture in leads)
        stored = LeadImage.objects.filter(article_id__in=[article_id for article_id, _ in leads])
        current = {lead.article_id: lead for lead in stored}
        new, changed = [], []
        for article_id, picture in leads:
            lead = current.get(article_id)
            photo = self._place(picture, {lead.photo_id} if lead else set())
            if lead is None:
                new.append(LeadImage(article_id=article_id, photo=photo))
            elif lead.photo_id != photo.pk:
                lead.photo = photo
                changed.append(lead)
        # Without signals: the import's after_bulk_write retires the cached pages of its stories.
        LeadImage.objects.bulk_create(new)
        LeadImage.objects.bulk_update(changed, ["photo"])

    def discard(self):
        storage = Photo._meta.get_field("file").storage
        for name in self._stored:
            with suppress(OSError):  # best effort: the import's own error is the one to report
                storage.delete(name)
        self._stored.clear()

    def _load(self, checksums):
        wanted = {checksum for checksum in checksums if checksum not in self._by_checksum}
        if not wanted:
            return
        for checksum in wanted:
            self._by_checksum[checksum] = []
        for photo in Photo.objects.filter(checksum__in=wanted).order_by("pk"):
            self._by_checksum[photo.checksum].append(photo)

    def _place(self, picture, prefer):
        """The photo for ``picture``: one with its bytes and texts; else the one of ``prefer`` with its
        bytes, given its texts; else a new one."""
        texts = {field: getattr(picture, which).strip() for which, field in _TEXT_FIELDS.items()}
        photos = self._by_checksum[picture.checksum]
        same = next((p for p in photos if all(getattr(p, f) == v for f, v in texts.items())), None)
        if same is not None:
            self._taken.add(same.pk)
            return same
        own = next((photo for photo in photos if photo.pk in prefer and photo.pk not in self._taken), None)
        if own is not None:
            for field, value in texts.items():
                setattr(own, field, value)
            own.full_clean(exclude=["file"])
            own.save(update_fields=list(texts))
            self._taken.add(own.pk)
            return own
        checked = picture.checked_file()
        facts = checked.facts
        image = CheckedImage(checked.data, facts.format, checked.extension, facts.width, facts.height)
        photo = store_photo(image, **texts)
        self._stored.append(photo.file.name)
        self._stored.extend(photo.renditions.values_list("file", flat=True))
        photos.append(photo)
        self._taken.add(photo.pk)
        return photo


register_library(PictureTransfer())
