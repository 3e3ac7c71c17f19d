"""Compressing the reader's pages on the way out.

An article page is mostly text and shrinks to a quarter with gzip, which keeps its first load under
the 20 KiB budget however long the story. Static files never get here: WhiteNoise, above this
middleware, serves them pre-compressed. Nor do pages served from the shared cache
(articles/caching.py, also above): they were stored compressed.
"""

from django.middleware.gzip import GZipMiddleware


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH padding), for HTML pages only.

    JSON, feeds and sitemaps go out as they are: they are read by programs, not on a phone over a
    slow link, and the API's contract test reads the raw body its schema describes.
    """

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
