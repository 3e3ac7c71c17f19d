"""The editors' workspace."""

from django.contrib import admin
from django.db.models import Prefetch

from articles.models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    Section,
    SlugRedirect,
    Tag,
    TaggedArticle,
)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class BylineInline(admin.TabularInline):
    model = ArticleAuthor
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name = "author"
    verbose_name_plural = "byline (in order)"


class TagInline(admin.TabularInline):
    model = TaggedArticle
    autocomplete_fields = ["tag"]
    extra = 1
    verbose_name = "topic tag"
    verbose_name_plural = "topic tags"


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["headline", "section", "status", "published_at", "byline", "updated_at"]
    list_filter = ["status", "section", "featured", "tags"]
    list_select_related = ["section"]
    search_fields = ["headline", "dek", "body", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section"]
    inlines = [BylineInline, TagInline, CorrectionInline]
    readonly_fields = ["word_count", "created_at", "updated_at", "source_name", "source_id"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "body", "section", "dateline"]}),
        ("Publication", {"fields": ["status", "published_at", "featured"]}),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": ["word_count", "created_at", "updated_at", "source_name", "source_id"],
            },
        ),
    ]

    def get_queryset(self, request):
        bylines = ArticleAuthor.objects.select_related("author").order_by("position", "pk")
        return super().get_queryset(request).prefetch_related(Prefetch("bylines", queryset=bylines))

    @admin.display(description="Authors")
    def byline(self, article):
        return ", ".join(author.name for author in article.byline_authors)

    def view_on_site(self, article):
        # Only a story readers can see gets a "View on site" link; a draft would just 404.
        return article.get_absolute_url() if article.is_public else None


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__headline"]
    autocomplete_fields = ["article"]
