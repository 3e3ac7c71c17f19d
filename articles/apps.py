from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ArticlesConfig(AppConfig):
    default = True
    name = "articles"
    verbose_name = "Newsroom"


class NewsroomAdminConfig(admin_apps.AdminConfig):
    # The admin index is the editor's day: review queue, schedule, recent publications, own drafts.
    default = False
    default_site = "articles.admin_site.NewsroomAdminSite"
