"""A production-style Wagtail site built as Wagtail's own tutorial builds a blog, for a news index:
the yardstick Newsroom's pages are measured against (perf/wagtail_bench.py). Debug off, no cache."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("WAGTAIL_REF_SECRET_KEY", "reference-site-for-benchmarks-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "news",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
ROOT_URLCONF = "newsref.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "newsref.wsgi.application"


def _database(url):
    if url.startswith("postgres"):
        rest = url.split("://", 1)[1]
        credentials, _, location = rest.rpartition("@")
        user = credentials.split(":")[0] if credentials else "postgres"
        host_port, _, name = location.partition("/")
        host, _, port = host_port.partition(":")
        return {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": user, "HOST": host,
                "PORT": port or "5432", "CONN_MAX_AGE": 600}  # fmt: skip
    path = url.removeprefix("sqlite:///") if url else str(BASE_DIR / "db.sqlite3")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", ""))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("WAGTAIL_REF_STATIC_ROOT", str(BASE_DIR / "static"))
MEDIA_ROOT = os.environ.get("WAGTAIL_REF_MEDIA_ROOT", str(BASE_DIR / "media"))
WAGTAIL_SITE_NAME = "Reference news"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
# The tutorial's search backend: the database.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
