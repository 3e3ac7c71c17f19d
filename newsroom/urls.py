from django.contrib import admin
from django.urls import include, path

from articles import sitemaps, views
from articles.api import api
from photos.serving import media_file

urlpatterns = [
    path("admin/two-factor/", include("accounts.urls")),
    # The desk's admin requests (notes, presence), before the admin's own catch-all.
    path("admin/desk/", include("desk.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("api/", api.urls),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<str:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news-sitemap"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
    path("media/<path:name>", media_file, name="media"),
    # Newsletters: sign up, confirm, unsubscribe (distribution).
    path("newsletters/", include("distribution.urls")),
    # A live story's update permalinks and feeds, beside the articles' addresses.
    path("", include("live.urls")),
    path("", include("articles.urls")),
]

handler400 = "articles.views.bad_request"
handler404 = "articles.views.page_not_found"
handler500 = "articles.views.server_error"
