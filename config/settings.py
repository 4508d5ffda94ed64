"""The only settings file. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "development-only-key-never-use-in-production-0123456789abcdefghij"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "directory",
    "guides",
    "finder",
    "openreferral",
    "listings",
    "shortlist",
]

MIDDLEWARE = [
    "config.middleware.ReferrerPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ApiMethodMiddleware",
    "config.middleware.AdminQueryMiddleware",
    "config.middleware.NotFoundPageMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Providers sign in with a one-time link sent by email (listings/signin.py), never a password.
    "sesame.backends.ModelBackend",
]
# A sign-in link works once, for 15 minutes.
SESAME_MAX_AGE = 15 * 60
SESAME_ONE_TIME = True

# Staff sign-in throttling: after 5 failed attempts for one username from one address, that pair
# waits 15 minutes. Attempts are counted in the database.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The address counted, for failed staff sign-ins and for report limits alike, is the client's, decided in one
# place (directory/client.py): REMOTE_ADDR; behind a reverse proxy (BEHIND_PROXY), the right-most X-Forwarded-For
# entry the PROXY_COUNT trusted proxies did not add (nginx's $proxy_add_x_forwarded_for appends the address it
# sees), since whatever stands left of it the client wrote itself.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "1"))
AXES_CLIENT_IP_CALLABLE = "directory.client.client_address"

# Reports about a listing (directory/limits.py): at most so many an hour from one address, and about one provider.
# django-ratelimit counts them (and requests for providers' sign-in links) in the default cache and lets them
# through when the cache fails.
REPORTS_PER_ADDRESS_PER_HOUR = int(os.environ.get("REPORTS_PER_ADDRESS_PER_HOUR", "5"))
REPORTS_PER_PROVIDER_PER_HOUR = int(os.environ.get("REPORTS_PER_PROVIDER_PER_HOUR", "20"))
RATELIMIT_IP_META_KEY = "directory.client.client_address"
RATELIMIT_FAIL_OPEN = True

ROOT_URLCONF = "config.urls"
# Django's page, except under /api/, which answers in JSON (config/errors.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is an optimization: while it does not answer, each process serves from the database and its
# own memory (config/cache.py), and /healthz says "degraded".
CACHES = {
    "default": (
        {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "directory"}
    )
}

# A file holding the latest published copy of the facet index (directory.search.facet_index), written by the
# process that builds one and read by a process starting up: for processes that share no Redis, or to keep the
# copy over a Redis restart. Empty: the copy is kept in the cache only.
FACET_INDEX_PATH = os.environ.get("FACET_INDEX_PATH", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Media: provider photos. Files under MEDIA_ROOT, served at MEDIA_URL (by Django while DEBUG is on, by the proxy
# in production); with MEDIA_BUCKET set, in an S3-compatible bucket that serves them itself.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = os.environ.get("MEDIA_URL") or "/media/"
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")
MEDIA_CUSTOM_DOMAIN = os.environ.get("MEDIA_CUSTOM_DOMAIN", "").strip().strip("/")
MEDIA_ENDPOINT_URL = os.environ.get("MEDIA_ENDPOINT_URL", "").strip().rstrip("/")
if MEDIA_BUCKET:
    if not (MEDIA_CUSTOM_DOMAIN or MEDIA_ENDPOINT_URL):
        raise ImproperlyConfigured(
            "With MEDIA_BUCKET, set MEDIA_CUSTOM_DOMAIN (the host that serves the bucket's files) or "
            "MEDIA_ENDPOINT_URL (the S3-compatible service, e.g. https://s3.eu-west-1.amazonaws.com)."
        )
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": MEDIA_ENDPOINT_URL or None,
            "region_name": os.environ.get("MEDIA_REGION") or None,
            # Unset: boto3 finds credentials itself (its environment variables, an instance role).
            "access_key": os.environ.get("MEDIA_ACCESS_KEY") or None,
            "secret_key": os.environ.get("MEDIA_SECRET_KEY") or None,
            "custom_domain": MEDIA_CUSTOM_DOMAIN or None,
            # Path-style addresses (endpoint/bucket/name): the photos' origin is the endpoint's, known here.
            "addressing_style": "path",
            # Photos are public, and a page may be cached: plain addresses, not signed ones that expire.
            "querystring_auth": False,
            "file_overwrite": False,
            # Every photo gets a new random name, so what is stored under a name never changes.
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }


def origin_of(url: str) -> str:
    """"https://media.example.org" for "https://media.example.org/photos/"; "" for a path on this site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Where photos come from when that is not this site: the Content-Security-Policy allows that origin alone.
if MEDIA_BUCKET and MEDIA_CUSTOM_DOMAIN:
    MEDIA_ORIGIN = f"https://{MEDIA_CUSTOM_DOMAIN.split('/')[0]}"
else:
    MEDIA_ORIGIN = origin_of(MEDIA_ENDPOINT_URL if MEDIA_BUCKET else MEDIA_URL)

# No public page takes a file and no form sends more than a few kilobytes (a guide, the largest, about 30 KB).
# One file, a photo, is taken from someone signed in (staff in the admin, a provider on their own listing); a file
# part from anyone else is refused as soon as it starts, before anything is stored, even where CSRF reads the body
# first (TooManyFilesSent: 400); a larger body is refused with 413 (config/errors.py).
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_HANDLERS = [
    "config.uploads.SignedInOnlyUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Photo uploads: larger files are refused, and so are images of more pixels than this (checked before they are
# decoded: a small file can declare a huge image).
PHOTO_MAX_UPLOAD_BYTES = int(os.environ.get("PHOTO_MAX_UPLOAD_BYTES", "5000000"))
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", "40000000"))

# HTTPS hardening is on whenever DEBUG is off; SECURE_HTTPS=0 turns it off for plain-HTTP
# test servers on this machine.
SECURE_HTTPS = env_bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Search and fit-finder URLs carry health information: never send them to another site.
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content Security Policy: our own origin only, no inline script or style.
# Email (sign-in links, "still accepting?" questions): SMTP from the environment; printed to the console
# while DEBUG is on and no EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Provider directory <no-reply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend" if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)
# The public address of the site, for links in emails (no request to read it from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Availability (accepting new clients, waitlist) is asked of providers again this many days after they last
# confirmed it; older than AVAILABILITY_STALE_DAYS, a listing ranks lower and says so; older than
# AVAILABILITY_UNKNOWN_DAYS, it shows as unknown and no longer counts as accepting anywhere.
AVAILABILITY_CONFIRM_DAYS = int(os.environ.get("AVAILABILITY_CONFIRM_DAYS", "30"))
AVAILABILITY_STALE_DAYS = int(os.environ.get("AVAILABILITY_STALE_DAYS", "45"))
AVAILABILITY_UNKNOWN_DAYS = int(os.environ.get("AVAILABILITY_UNKNOWN_DAYS", "90"))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Request URLs can carry health information (search and fit-finder answers): the
        # request loggers never record them.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False,
                           "filters": ["strip_query"]},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False,
                          "filters": ["strip_query"]},
        # Django's own notices (the development server's "Watching for file changes"), once: not again by the root.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "filters": {"strip_query": {"()": "config.logging.StripQueryFilter"}},
}
