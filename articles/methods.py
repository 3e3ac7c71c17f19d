"""Which HTTP methods the site answers, whatever view a URL reaches.

Django's class-based views refuse a method they do not define, but the feeds and sitemaps are plain
callables that answer any method, and the API's framework knows only the methods it routes: GET,
not HEAD. This middleware, near the top of the stack, gives every URL the same rules.
"""

from django.http import HttpResponseNotAllowed

# TRACE echoes the request back (cookies included) and CONNECT asks for a tunnel; nothing here
# serves either, on any URL.
REFUSED_METHODS = frozenset({"TRACE", "CONNECT"})
API_PREFIX = "/api/"


class HttpMethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in REFUSED_METHODS:
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.method == "HEAD" and request.path.startswith(API_PREFIX):
            return self._head_as_get(request)
        return self.get_response(request)

    def _head_as_get(self, request):
        """HEAD is GET without the body (RFC 9110): the same status and headers, Content-Length
        included, and no content."""
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if not getattr(response, "streaming", False):
            response.content = b""
        return response
