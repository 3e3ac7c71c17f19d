"""Serving stored pictures from the filesystem storage (``make run``, a single server). With a bucket,
pages link to the bucket's own URLs and this view is not on the way."""

import mimetypes

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

# Only the library's files (originals and renditions) and authors' photos (articles/portraits.py).
SERVED_FOLDERS = ("photos/", "authors/")


@require_safe
def media_file(request, name):
    if not name.startswith(SERVED_FOLDERS):
        raise Http404("No such picture.")
    try:
        if not default_storage.exists(name):
            raise Http404("No such picture.")
        stored = default_storage.open(name, "rb")
    except SuspiciousFileOperation:
        raise Http404("No such picture.") from None
    content_type, _ = mimetypes.guess_type(name)
    response = FileResponse(stored, content_type=content_type or "application/octet-stream")
    response["Cache-Control"] = settings.MEDIA_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response
