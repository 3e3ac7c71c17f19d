from django.urls import path

from articles import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.FrontPage.as_view(), name="home"),
    path("articles/", views.ArticleList.as_view(), name="list"),
    path("articles/<slug:slug>/", views.ArticleDetail.as_view(), name="detail"),
    path("sections/<slug:slug>/", views.SectionArticles.as_view(), name="section"),
    path("tags/", views.TagIndex.as_view(), name="tags"),
    path("tags/<slug:slug>/", views.TagArticles.as_view(), name="tag"),
    path("authors/<slug:slug>/", views.AuthorArticles.as_view(), name="author"),
    path("preview/<str:token>/", views.ArticlePreview.as_view(), name="preview"),
    path("search/", views.SearchResults.as_view(), name="search"),
    path("feeds/latest/", feeds.LatestArticlesFeed(), name="feed-latest"),
    path("feeds/latest/atom/", feeds.LatestArticlesAtomFeed(), name="feed-latest-atom"),
    path("feeds/sections/<slug:slug>/", feeds.SectionFeed(), name="feed-section"),
    path("feeds/tags/<slug:slug>/", feeds.TagFeed(), name="feed-tag"),
]
