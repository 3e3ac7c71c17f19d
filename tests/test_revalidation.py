"""One rule for what browsers and proxies may keep (articles/revalidation.py)."""

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.utils.http import http_date
from django.views import View

from articles.revalidation import revalidated


def dated_page(request):
    response = HttpResponse("Envoy lands in Beijing")
    response["Last-Modified"] = http_date(0)
    return response


@method_decorator(revalidated, name="dispatch")
class DatedPage(View):
    def get(self, request):
        return dated_page(request)


def test_function_and_class_views_are_revalidated_by_etag_alone(rf):
    """Any view it wraps, not only the feeds and sitemaps that send a Last-Modified today, lets
    clients keep a copy but ask again each time, and never offers the date a takedown moves back."""
    for view in (revalidated(dated_page), DatedPage.as_view()):
        response = view(rf.get("/"))
        assert response["Cache-Control"] == "public, no-cache"
        assert "Last-Modified" not in response
        assert response.content == b"Envoy lands in Beijing"
