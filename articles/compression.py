"""Compressing the reader's pages, feeds and sitemaps on the way out.

An article page is mostly text and shrinks to a quarter with gzip, which keeps its first load under
the 20 KiB budget however long the story; a feed of fifty full stories shrinks as much, and feed
readers poll it all day. Static files never get here: WhiteNoise, above this middleware, serves them
pre-compressed. Nor do pages served from the shared cache (articles/caching.py, also above): they
were stored compressed.
"""

from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = ("text/html", "application/rss+xml", "application/atom+xml", "application/xml")


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH padding), for pages, feeds and sitemaps.

    JSON goes out as it is: the API's answers are short pages of cards, and its contract test reads
    the raw body its schema describes.
    """

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
