"""Settings, from the environment, with safe local defaults.

Development (the default): DEBUG on, SQLite in `db.sqlite3`, e-mail to the
console. Production: `DJANGO_DEBUG=false`, a real `DJANGO_SECRET_KEY`,
`DJANGO_ALLOWED_HOSTS`, `DATABASE_URL=postgres://...`. docs/deployment.md
lists every variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is off."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.redirects",
    "django.contrib.sitemaps",
    "django_filters",
    "django_countries",
    "simple_history",
    "django_ratelimit",
    "csp",
    "catalogue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # English at the usual addresses, Welsh under /cy/ (urls.py); a reader who chose Welsh is
    # taken to the Welsh page from an English address (catalogue/languages.py).
    "django.middleware.locale.LocaleMiddleware",
    "catalogue.languages.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "catalogue.middleware.DatabaseBoundMiddleware",
    # A case address that was retired (two cases merged into one) answers with a permanent
    # redirect to the case that replaced it, rather than a 404: slugs are a public contract.
    "django.contrib.redirects.middleware.RedirectFallbackMiddleware",
]
SITE_ID = 1

ROOT_URLCONF = "catalogue.urls"
WSGI_APPLICATION = "catalogue.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalogue.languages.alternates",
            ],
        },
    },
]

# SQLite unless DATABASE_URL names another database (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASE_VENDOR = "postgresql" if "postgres" in DATABASES["default"]["ENGINE"] else "sqlite"
if DATABASE_VENDOR == "postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")
else:
    # WAL lets readers carry on while a submission is written; IMMEDIATE takes the
    # write lock at the start of a transaction instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Welsh and English (catalogue/languages.py; terms in docs/glossary-cy.md).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
# The site's own catalogue first (`make messages` writes there), then the country names in Welsh,
# which django-countries lacks (locale/countries/generate.py).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "countries"]
# The reader's choice of language lasts until the browser is closed.
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The most database time one public request may take (seconds; 0: no bound): catalogue/middleware.py.
REQUEST_DB_SECONDS = float(os.environ.get("DJANGO_REQUEST_DB_SECONDS", "5"))
# The whole catalogue's CSV and JSON, written once per state of the catalogue (opendata.py).
EXPORTS_DIR = Path(os.environ.get("DJANGO_EXPORTS_DIR", BASE_DIR / "var" / "exports"))
# Dated, unchanging releases of the open data, written only by `manage.py release_data` (releases.py).
DATA_RELEASES_DIR = Path(os.environ.get("DJANGO_DATA_RELEASES_DIR", BASE_DIR / "var" / "releases"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SITE_NAME = "Co-production Case Catalogue"
# Serves the benchmark's baseline views (bench/baselines.py): `make bench` only.
BENCHMARK = env_bool("DJANGO_BENCHMARK", False)
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CASES_PER_PAGE = 20

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
# Without a host, development prints e-mails to the console; production records them as not sent
# (an e-mail holds a private tracking link, which must not go to a log).
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "catalogue.notifications.NoMailServer"
)
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "5"))  # seconds per SMTP exchange
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "catalogue@localhost")
EDITOR_EMAILS = env_list("DJANGO_EDITOR_EMAILS")
# How long an editor's review of a case's classification and evidence rating holds before the
# admin lists the case as due for review again.
CATALOGUE_REVIEW_AGE_DAYS = int(os.environ.get("DJANGO_CATALOGUE_REVIEW_AGE_DAYS", "730"))

# Cache: per-process memory by default; Redis (shared by all workers) when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Spam and abuse guards on the public forms.
SUBMISSION_MIN_SECONDS = int(os.environ.get("DJANGO_SUBMISSION_MIN_SECONDS", "5"))
# New submissions per network address an hour: a council office shares one address, so this
# lets one office send a batch. Resubmissions and corrections are never counted.
SUBMISSION_RATE = os.environ.get("DJANGO_SUBMISSION_RATE", "30/h")
REPORT_RATE = os.environ.get("DJANGO_REPORT_RATE", "10/h")
# Search alerts asked for per network address an hour (each sends one confirmation e-mail).
ALERT_RATE = os.environ.get("DJANGO_ALERT_RATE", "20/h")
# Behind a reverse proxy, the client address is the last one the proxy adds to this header; a
# missing or malformed one falls back to the connection's address (guards.client_network).
CLIENT_IP_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER") or None
RATELIMIT_IP_META_KEY = "catalogue.guards.client_network"
RATELIMIT_IPV6_MASK = 64
# Django's own RedisCache increments atomically, which is all the rate limiter needs;
# it is only missing from django-ratelimit's list of known backends.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # A per-process cache limits each worker separately; production sets REDIS_URL.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
# Failed sign-ins to the admin, per account (whatever the address) and per client address
# (whatever the account); successful ones are not counted. A refused sign-in says when to try
# again, at most the window's length later.
LOGIN_ACCOUNT_RATE = os.environ.get("DJANGO_LOGIN_ACCOUNT_RATE", "10/15m")
LOGIN_ADDRESS_RATE = os.environ.get("DJANGO_LOGIN_ADDRESS_RATE", "30/15m")

SIMPLE_HISTORY_REVERT_DISABLED = True

# Security headers. A strict Content-Security-Policy: no inline script or style anywhere. The one
# exception is data, not code: a page's JSON-LD block (templates/includes/jsonld.html) carries
# the per-response nonce, which the header names only on responses that use it.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A submission's answers are kept in the session for 14 days after the last change; expired
# sessions are deleted by `manage.py clearsessions` (docs/deployment.md: run it daily).
SESSION_COOKIE_AGE = 14 * 24 * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Only a loopback test server over plain HTTP (make loadtest) turns these off.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    if env_bool("DJANGO_BEHIND_PROXY", False):
        # The reverse proxy terminates TLS and says so in this header.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
FORMS_URLFIELD_ASSUME_HTTPS = True
