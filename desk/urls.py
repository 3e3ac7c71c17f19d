from django.contrib import admin
from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("stories/<int:pk>/notes/", admin.site.admin_view(views.add_note), name="note_add"),
    path("notes/<int:pk>/delete/", admin.site.admin_view(views.delete_note), name="note_delete"),
    path("stories/<int:pk>/presence/", admin.site.admin_view(views.heartbeat), name="presence"),
    path("stories/<int:pk>/presence/leave/", admin.site.admin_view(views.leave), name="presence_leave"),
]
