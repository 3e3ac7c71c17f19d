"""What browsers, feed readers and proxies may do with a public response: store it, but ask again
on every use.

ConditionalGetMiddleware answers that question from the ETag (a 304 when nothing changed), so a
story taken down never lingers in anyone's copy. One rule for every public surface: pages, the JSON
API, feeds and sitemaps.
"""

from functools import wraps

from django.utils.cache import patch_cache_control


def revalidated(view):
    """Make ``view``'s responses public but revalidated on every use, by their ETag alone.

    A view decorator: for a class-based view use ``method_decorator(revalidated, name="dispatch")``,
    for the ninja API ``add_decorator(revalidated, mode="view")`` and ``docs_decorator``.

    Last-Modified is dropped. Where Django sends one (feeds, sitemaps) it is the newest item's
    date, and taking that item down moves it back in time: a client asking If-Modified-Since would
    be told its stale copy still holds. Pages and the API send none; dropping it there too keeps
    a view added later from bringing that back.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        del response["Last-Modified"]
        patch_cache_control(response, public=True, no_cache=True)
        return response

    return wrapper
