from django.urls import path

import articles.urls  # noqa: F401  (registers the newsroom_slug converter these paths use)
from live import feeds, views

app_name = "live"

urlpatterns = [
    path("articles/<newsroom_slug:slug>/updates/<int:pk>/", views.UpdatePermalink.as_view(), name="update"),
    path("feeds/live/<newsroom_slug:slug>/", feeds.LiveUpdatesFeed(), name="feed"),
    path("feeds/live/<newsroom_slug:slug>/atom/", feeds.LiveUpdatesAtomFeed(), name="feed-atom"),
]
