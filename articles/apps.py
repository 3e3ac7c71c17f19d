from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ArticlesConfig(AppConfig):
    default = True
    name = "articles"
    verbose_name = "Newsroom"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from articles import search
        from articles.models import Article, Tag, TaggedArticle

        # The search index follows every article save and delete, and every tagging, whether it
        # comes through taggit (tags.set/add/remove) or the admin inline saving TaggedArticle rows.
        post_save.connect(search.article_saved, sender=Article, dispatch_uid="search_article_saved")
        post_delete.connect(search.article_deleted, sender=Article, dispatch_uid="search_article_deleted")
        post_save.connect(search.tagging_changed, sender=TaggedArticle, dispatch_uid="search_tagged")
        post_delete.connect(search.tagging_changed, sender=TaggedArticle, dispatch_uid="search_untagged")
        post_save.connect(search.tag_saved, sender=Tag, dispatch_uid="search_tag_saved")
        post_migrate.connect(search.database_flushed, sender=self, dispatch_uid="search_flushed")

        # Each revision keeps the story's parts (topics, byline, corrections, image) beside its fields.
        from simple_history.signals import pre_create_historical_record

        from articles import revisions

        pre_create_historical_record.connect(revisions.parts_on_create, dispatch_uid="revision_parts")

        # The topic picker finds a topic by its name and aliases from TopicName's index.
        from articles import topic_picker
        from articles.models.taxonomy import topic_saved

        post_save.connect(topic_saved, sender=Tag, dispatch_uid="topic_names")
        for signal in (post_save, post_delete):
            signal.connect(topic_picker.forget_vocabulary, sender=Tag, dispatch_uid="topic_vocabulary")

        # Each story's card data (articles/cards.py) follows the story and everything it shows.
        from articles import cards
        from articles.models import ArticleAuthor, ArticleQuerySet, Author, Correction

        ArticleQuerySet.card_filler = staticmethod(cards.ensure)

        post_save.connect(cards.article_saved, sender=Article, dispatch_uid="card_article")
        for model in (ArticleAuthor, TaggedArticle, Correction):
            for signal in (post_save, post_delete):
                signal.connect(cards.part_changed, sender=model, dispatch_uid=f"card_{model.__name__}")
        post_save.connect(cards.author_saved, sender=Author, dispatch_uid="card_author")
        post_save.connect(cards.tag_saved, sender=Tag, dispatch_uid="card_tag")

        # A change a reader could see retires the cached pages that showed what changed
        # (articles/retiring.py); the saves of drafts and stories in review, which no reader sees, do not.
        from articles import caching, retiring
        from articles.models import ArticleAuthor, Author, Correction, Section, SlugRedirect

        receivers = [
            (retiring.article_changed, [Article]),
            (retiring.article_part_changed, [ArticleAuthor, Correction, SlugRedirect, TaggedArticle]),
            (retiring.taxonomy_changed, [Author, Section, Tag]),
        ]
        for receiver, models in receivers:
            for model in models:
                for signal in (post_save, post_delete):
                    signal.connect(receiver, sender=model, dispatch_uid=f"cache_{model.__name__}")
        # Scheduled stories are announced when the page cache's version read finds one is due.
        from articles import publishing

        caching.publication_due.connect(publishing.publication_came_due, dispatch_uid="publication_due")

        from articles import planner

        post_migrate.connect(planner.migrated, sender=self, dispatch_uid="planner_statistics")
        # A deploy runs migrate (make serve does): pages rendered by the previous code retire with it.
        post_migrate.connect(retiring.deployed, sender=self, dispatch_uid="cache_deployed")


class NewsroomAdminConfig(admin_apps.AdminConfig):
    # The admin index is the editor's day: review queue, schedule, recent publications, own drafts.
    default = False
    default_site = "articles.admin_site.NewsroomAdminSite"
