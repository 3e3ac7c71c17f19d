"""Sitemaps and robots.txt (stub: being written)."""

from django.http import Http404


def sitemap_index(request):
    raise Http404


news_sitemap = robots_txt = sitemap_index
