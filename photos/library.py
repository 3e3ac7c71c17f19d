"""Adding pictures to the library: checked, stored upright and clean, renditions made once."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from photos.checks import check_upload
from photos.models import Photo
from photos.renditions import STANDARD, renditions


def add_photo(file, *, alt_text, credit, caption="", source="", focal=(0.5, 0.5), by=None):
    """Store the picture in ``file`` with what readers are told about it, and make its standard
    renditions. Raises ``checks.ImageRefused`` (nothing stored) for a file that is not an acceptable
    picture, and ValidationError for missing alt text or credit."""
    texts = {"alt_text": alt_text, "credit": credit, "caption": caption, "source": source}
    return store_photo(check_upload(file), **texts, focal=focal, by=by)


def store_photo(checked, *, alt_text, credit, caption="", source="", focal=(0.5, 0.5), by=None):
    """``add_photo`` for a picture already read by ``check_upload`` (the admin's form checks it to
    show a refusal on its field, and need not read it twice)."""
    photo = Photo(
        alt_text=alt_text.strip(),
        caption=caption.strip(),
        credit=credit.strip(),
        source=source.strip(),
        focal_x=focal[0],
        focal_y=focal[1],
        width=checked.width,
        height=checked.height,
        format=checked.format,
        checksum=checked.checksum,
        uploaded_by=by,
    )
    photo.full_clean(exclude=["file"])
    photo.file.save(f"upload.{checked.extension}", ContentFile(checked.data), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except BaseException:
        photo.file.delete(save=False)  # a file no row points at would never be found again
        raise
    renditions(photo, STANDARD)  # while the editor waits (about a second), not on a reader's request
    return photo


def store_photos(rows, *, credit, source="", by=None):
    """Store several pictures already read by ``check_upload``: ``rows`` of ``{"checked",
    "alt_text", "caption"}`` sharing one credit and licence; return the photos. All or none: if one
    fails (ValidationError), none is stored, and the files already written are removed."""
    written = []
    try:
        with transaction.atomic():
            photos = []
            for row in rows:
                texts = {"alt_text": row["alt_text"], "caption": row.get("caption", "")}
                photo = store_photo(row["checked"], **texts, credit=credit, source=source, by=by)
                written += [photo.file.name, *photo.renditions.values_list("file", flat=True)]
                photos.append(photo)
    except BaseException:
        for name in written:  # their rows are rolled back: files no row points at are never found again
            default_storage.delete(name)
        raise
    return photos
