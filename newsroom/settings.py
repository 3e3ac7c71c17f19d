"""Newsroom settings: one module, every deployment difference read from the environment.

See the settings table in DESIGN.md. Defaults are safe: debug off, no start without a real
secret key unless debug is on, SQLite when DATABASE_URL is absent.
"""

import os
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

_DEV_SECRET_KEY = "django-insecure-newsroom-development-key"
_LOCAL_KEY_FILE = BASE_DIR / ".secret_key"  # made once by `make run`, never committed
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    _LOCAL_KEY_FILE.read_text().strip() if _LOCAL_KEY_FILE.is_file() else _DEV_SECRET_KEY
)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it (make run generates one in .secret_key) "
        "or set DJANGO_DEBUG=1 for development."
    )

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "articles.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "articles",
    "photos",
    "accounts",
    "desk",
    "live",
    "distribution",
    "edge",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # TRACE and CONNECT refused everywhere, HEAD answered like GET by the API too (articles/methods.py).
    "articles.methods.HttpMethodsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public reads from the read replica, staff and writes on the primary (newsroom/replica.py).
    # Above the page cache, whose version rows must come from the database the page is read from.
    "newsroom.replica.PrimaryForStaffMiddleware",
    # Anonymous public pages from the shared cache (articles/caching.py). Up here, a hit skips every
    # middleware below; a miss runs them all and the final response, compressed and with its CSP,
    # X-Frame-Options, ETag and Vary headers, is what gets stored.
    "articles.caching.PageCacheMiddleware",
    # HTML compressed on the way out, so an article's first load stays under 20 KiB (static files are
    # pre-compressed by WhiteNoise, above). Public pages carry no secret; the admin's CSRF token is
    # masked per response and Django pads gzip output against BREACH. Above ConditionalGet: the
    # ETag is taken from the uncompressed page, so a 304 still works.
    "articles.compression.PageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A signed-in staff session that must enrol in two-factor sign-in is sent to the enrolment page.
    "accounts.middleware.enrolment_first",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Revisions record who saved, whatever the path (form, action, revert).
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    # The public pages are Jinja2, in templates/jinja2/ (Django's convention for that engine): they
    # render in half the time the Django engine takes. Everything else in templates/ (the admin
    # overrides, sitemaps, robots.txt) and the apps' templates are the Django engine's. Django asks
    # the engines in order, so a name in templates/jinja2/ is Jinja2's; no name is in both folders
    # (tests/test_template_engines.py).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "OPTIONS": {
            "environment": "newsroom.jinja2.environment",
            # The backend always passes `request`; CSRF is not needed on public GET forms.
            "context_processors": ["articles.context_processors.navigation"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "articles.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"


def _database_from_env():
    config = dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database_from_env()}

# A PostgreSQL streaming replica for anonymous public reads (newsroom/replica.py): used while it
# answers and replays within NEWSROOM_REPLICA_MAX_LAG seconds, the primary otherwise.
DATABASE_ROUTERS = ["newsroom.replica.ReplicaRouter"]
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"].strip(), conn_max_age=60, conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL server (postgres://…).")
    # A replica that does not answer costs a reader two seconds at most, once: then it is marked down.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2, **DATABASES["replica"].get("OPTIONS", {})}
    # The same rows as the default database: the test runner makes no database of its own for it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
try:
    NEWSROOM_REPLICA_MAX_LAG = float(os.environ.get("NEWSROOM_REPLICA_MAX_LAG", "3"))
except ValueError:
    raise ImproperlyConfigured("NEWSROOM_REPLICA_MAX_LAG must be a number of seconds, such as 3.") from None

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # Django's backend, with one redis-py client per pool instead of one per call.
            "BACKEND": "newsroom.redis_cache.SharedClientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # Fail fast when Redis is down: the site then serves uncached instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous public pages are cached only in a shared cache (see articles/caching.py): with
# per-process local memory two workers could disagree about what is published.
_SHARED_CACHE = "1" if os.environ.get("REDIS_URL") else "0"
NEWSROOM_PAGE_CACHE = os.environ.get("NEWSROOM_PAGE_CACHE", _SHARED_CACHE) == "1"
NEWSROOM_PAGE_CACHE_SECONDS = int(os.environ.get("NEWSROOM_PAGE_CACHE_SECONDS", 600))
# Pages name what they show (Surrogate-Key, articles/page_keys.py) for a caching proxy in front,
# which keeps them NEWSROOM_PROXY_CACHE_SECONDS (Surrogate-Control) unless purged first. On with the
# shared cache or a proxy to purge (NEWSROOM_PURGE_URLS), else on request.
NEWSROOM_SURROGATE_KEYS = os.environ.get(
    "NEWSROOM_SURROGATE_KEYS", "1" if os.environ.get("NEWSROOM_PURGE_URLS") else "0"
) == "1"
NEWSROOM_PROXY_CACHE_SECONDS = int(os.environ.get("NEWSROOM_PROXY_CACHE_SECONDS", 3600))

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses a locked account before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The desk's time zone: scheduling, and every date staff and readers see, are in it; the database
# stores UTC (USE_TZ). An unknown name stops the start-up with a message, not a wrong clock.
TIME_ZONE = os.environ.get("NEWSROOM_TIME_ZONE", "").strip() or "UTC"
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"NEWSROOM_TIME_ZONE={TIME_ZONE!r} is not a time zone name; use one like "
        "'America/New_York' or 'Asia/Shanghai'."
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded pictures and their renditions (photos/): under media/, served by photos.serving, unless
# NEWSROOM_MEDIA_BUCKET names an S3-compatible bucket, which every server then shares.
MEDIA_ROOT = Path(os.environ.get("NEWSROOM_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Stored files are named by their content, so browsers, proxies and the bucket may keep them for ever.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


def _media_storage():
    bucket = os.environ.get("NEWSROOM_MEDIA_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("NEWSROOM_MEDIA_ENDPOINT_URL") or None,
            "access_key": os.environ.get("NEWSROOM_MEDIA_ACCESS_KEY") or None,
            "secret_key": os.environ.get("NEWSROOM_MEDIA_SECRET_KEY") or None,
            "region_name": os.environ.get("NEWSROOM_MEDIA_REGION") or None,
            # The public address of the bucket (or a CDN in front of it), without the scheme.
            "custom_domain": os.environ.get("NEWSROOM_MEDIA_DOMAIN") or None,
            "querystring_auth": False,  # public pictures: plain, cacheable URLs
            "file_overwrite": False,
            "object_parameters": {"CacheControl": MEDIA_CACHE_CONTROL},
        },
    }


STORAGES = {
    "default": _media_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Serve straight from static/ when collectstatic has not run (make run, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TAGGIT_CASE_INSENSITIVE = True

NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "Newsroom")


def _site_url():
    """The canonical origin of every absolute URL (pages, feeds, sitemaps, API). Never taken from
    the request: a Host header is the client's to write, and a cached page must not carry it."""
    value = os.environ.get("NEWSROOM_SITE_URL", "").strip().rstrip("/")
    if not value:
        # Development: the first allowed host (".example.org" allows its subdomains; "*" names none).
        host = ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else ""
        return f"http://{host if host and host != '*' else 'localhost'}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ImproperlyConfigured(
            f"NEWSROOM_SITE_URL must be an origin such as https://news.example.org, not “{value}”."
        )
    return value


NEWSROOM_SITE_URL = _site_url()
# The domain in feed GUIDs (tag: URIs). Set it so entry ids survive a move to another host;
# unset, the site URL's host is used.
NEWSROOM_ID_AUTHORITY = os.environ.get("NEWSROOM_ID_AUTHORITY", "")
# "Someone else has this story open": a form whose page said so within this window (its heartbeat
# comes every 30 seconds, desk/presence.py); an older presence is a tab left behind, not shown.
NEWSROOM_PRESENCE_WINDOW = timedelta(minutes=3)
# How long a draft's signed preview link works.
NEWSROOM_PREVIEW_MAX_AGE = int(os.environ.get("NEWSROOM_PREVIEW_MAX_AGE", 24 * 60 * 60))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Every public URL is probed, and a story unpublished a moment ago is a 404 to whoever had it
    # open: a 404 is routine, not worth a line. Server errors are still logged.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Security. Always on: no sniffing, no framing, a strict referrer policy, a CSP without inline
# script. Behind TLS (DJANGO_HTTPS=1): secure cookies, HSTS and a redirect to https.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
_HTTPS = os.environ.get("DJANGO_HTTPS", "") == "1"
SECURE_SSL_REDIRECT = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
# Behind a proxy (nginx, a load balancer) that sets X-Forwarded-Proto and appends to
# X-Forwarded-For itself; otherwise a client could claim https or another address.
NEWSROOM_BEHIND_PROXY = os.environ.get("DJANGO_BEHIND_PROXY", "") == "1"
if NEWSROOM_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin uses style attributes; pages themselves use only the stylesheet.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Bounded requests: nothing public accepts uploads; admin forms are small.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Sign-in throttling. Five wrong passwords for one account, from any addresses, lock it for 15
# minutes (django-axes); twenty from one address, over any accounts, hold that address back as long
# (articles/admin_site.py), so guesses spread over accounts or over addresses both stop. The client
# address is the proxy's X-Forwarded-For entry only behind a proxy (articles/client_address.py).
AXES_FAILURE_LIMIT = 5
NEWSROOM_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "articles.client_address.client_address"
# axes.W006 asks for the address among the lockout parameters; the address has its own limit
# above, and putting it in axes' list would share the account's limit of five with it.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (django-otp: TOTP, and recovery codes from otp_static): required of every
# staff account when this is on; staff enrol themselves at /admin/two-factor/ (accounts/).
NEWSROOM_REQUIRE_2FA = os.environ.get("NEWSROOM_REQUIRE_2FA", "") == "1"
OTP_TOTP_ISSUER = NEWSROOM_SITE_NAME

# Background tasks (django-tasks with its database backend): work that must not hold up an editor's
# request (pinging a WebSub hub, later newsletters and webhooks) is queued in the database and run by
# `manage.py worker` (`make worker`; `make run` starts one beside the server). A failed task is
# tried again after NEWSROOM_TASK_RETRY_DELAY seconds, doubling each time (distribution/tasks.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
NEWSROOM_TASK_RETRY_DELAY = float(os.environ.get("NEWSROOM_TASK_RETRY_DELAY", "30"))
NEWSROOM_TASK_ATTEMPTS = int(os.environ.get("NEWSROOM_TASK_ATTEMPTS", "6"))

# Caching proxies in front of the site (edge/, README "Caching proxy (Varnish)"): the base URLs of
# the Varnish servers to purge by surrogate key when pages change (empty: no purges), and the purger
# classes that deliver them (a CDN's goes beside Varnish's).
NEWSROOM_PURGE_URLS = [
    url.strip().rstrip("/") for url in os.environ.get("NEWSROOM_PURGE_URLS", "").split(",") if url.strip()
]
NEWSROOM_PURGERS = [
    path.strip()
    for path in os.environ.get("NEWSROOM_PURGERS", "edge.purging.VarnishPurger").split(",")
    if path.strip()
]

# WebSub: a hub the feeds name (rel="hub") and that is pinged when a story is published, changed or
# taken down, so feed readers update in seconds. Unset: no hub link and no pings.
NEWSROOM_WEBSUB_HUB = os.environ.get("NEWSROOM_WEBSUB_HUB", "").strip() or None

# Webhooks for partners (distribution/webhooks/): only https endpoints on public addresses, unless
# this is on (development and tests, where the receiver is on 127.0.0.1). Failed deliveries are
# tried again on the Standard Webhooks schedule (about a day), its waits multiplied by the scale
# (tests run it in a fraction of a second); an endpoint slower than the timeout (seconds) has failed.
NEWSROOM_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("NEWSROOM_WEBHOOKS_ALLOW_PRIVATE", str(int(DEBUG))) == "1"
NEWSROOM_WEBHOOK_RETRY_SCALE = float(os.environ.get("NEWSROOM_WEBHOOK_RETRY_SCALE", "1"))
NEWSROOM_WEBHOOK_TIMEOUT = float(os.environ.get("NEWSROOM_WEBHOOK_TIMEOUT", "10"))

# Email. EMAIL_URL names the SMTP server (smtp://user:password@host:587/?tls=True, smtps://… for
# implicit TLS; dj-email-url's forms); unset, development prints emails on the console and
# production hands them to an SMTP server on localhost:25.
if os.environ.get("EMAIL_URL", "").strip():
    import dj_email_url

    vars().update(dj_email_url.parse(os.environ["EMAIL_URL"].strip()))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{NEWSROOM_SITE_NAME} <newsroom@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Newsletters (distribution/): who they come from, how fast they go out (messages a second; 0 for
# no limit), how many recipients a sender takes at a time, how long a confirmation link works, when
# the daily briefing goes out (desk time), how often the distribution clock ticks and how long a
# mailing's sender may be silent before another picks it up (seconds).
NEWSROOM_NEWSLETTER_FROM = os.environ.get("NEWSROOM_NEWSLETTER_FROM", DEFAULT_FROM_EMAIL)
NEWSROOM_NEWSLETTER_RATE = float(os.environ.get("NEWSROOM_NEWSLETTER_RATE", "50"))
NEWSROOM_NEWSLETTER_BATCH = int(os.environ.get("NEWSROOM_NEWSLETTER_BATCH", "200"))
NEWSROOM_CONFIRMATION_DAYS = int(os.environ.get("NEWSROOM_CONFIRMATION_DAYS", "3"))
NEWSROOM_DISTRIBUTION_TICK = float(os.environ.get("NEWSROOM_DISTRIBUTION_TICK", "60"))
NEWSROOM_MAILING_STALL = float(os.environ.get("NEWSROOM_MAILING_STALL", "120"))


def _briefing_time():
    value = os.environ.get("NEWSROOM_BRIEFING_TIME", "07:00").strip()
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"NEWSROOM_BRIEFING_TIME={value!r} is not a time of day such as 07:00."
        ) from None


NEWSROOM_BRIEFING_TIME = _briefing_time()
