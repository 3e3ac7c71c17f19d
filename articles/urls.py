from django.urls import path, register_converter

from articles import feeds, views
from articles.slugs import SlugConverter

app_name = "articles"

# Every slug in an address is articles/slugs.py's rule. Django's "slug" converter spells the same
# pattern in its own copy, and ours may not take its name (overriding one is deprecated in 5.1).
register_converter(SlugConverter, "newsroom_slug")

urlpatterns = [
    path("", views.FrontPage.as_view(), name="home"),
    path("articles/", views.ArticleList.as_view(), name="list"),
    path("articles/<newsroom_slug:slug>/", views.ArticleDetail.as_view(), name="detail"),
    path("sections/<newsroom_slug:slug>/", views.SectionArticles.as_view(), name="section"),
    path("tags/", views.TagIndex.as_view(), name="tags"),
    path("tags/<newsroom_slug:slug>/", views.TagArticles.as_view(), name="tag"),
    path("authors/<newsroom_slug:slug>/", views.AuthorArticles.as_view(), name="author"),
    path("preview/<str:token>/", views.ArticlePreview.as_view(), name="preview"),
    path("search/", views.SearchResults.as_view(), name="search"),
    # Included by a caching proxy into the article's page (ESI); not a page of its own.
    path("fragments/related/<int:pk>/", views.RelatedCoverage.as_view(), name="related"),
    path("feeds/latest/", feeds.LatestArticlesFeed(), name="feed-latest"),
    path("feeds/latest/atom/", feeds.LatestArticlesAtomFeed(), name="feed-latest-atom"),
    path("feeds/sections/<newsroom_slug:slug>/", feeds.SectionFeed(), name="feed-section"),
    path("feeds/sections/<newsroom_slug:slug>/atom/", feeds.SectionAtomFeed(), name="feed-section-atom"),
    path("feeds/tags/<newsroom_slug:slug>/", feeds.TagFeed(), name="feed-tag"),
    path("feeds/tags/<newsroom_slug:slug>/atom/", feeds.TagAtomFeed(), name="feed-tag-atom"),
    path("feeds/authors/<newsroom_slug:slug>/", feeds.AuthorFeed(), name="feed-author"),
    path("feeds/authors/<newsroom_slug:slug>/atom/", feeds.AuthorAtomFeed(), name="feed-author-atom"),
]
