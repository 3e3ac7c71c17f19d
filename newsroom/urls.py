from django.contrib import admin
from django.urls import include, path

from articles import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("", include("articles.urls")),
]

handler400 = "articles.views.bad_request"
handler404 = "articles.views.page_not_found"
handler500 = "articles.views.server_error"
