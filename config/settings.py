"""Settings for the whole site, read from the environment.

Defaults give a development site on SQLite with local files, so a checkout
runs with no configuration. Production sets DEBUG=false, SECRET_KEY,
DATABASE_URL, REDIS_URL and ALLOWED_HOSTS (see .env.example).
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import lazy_imports

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default):
    return int(os.environ.get(name, default))


def envlist(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For local development run `make run`, which sets DEBUG=true."
        )
    SECRET_KEY = "development-only-key-never-used-when-debug-is-off"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Bodywork Anatomy")

INSTALLED_APPS = [
    "members.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Knows each member's sessions (whatever the session engine), so deleting an account ends them all.
    # Its page (/accounts/sessions/) needs humanize.
    "allauth.usersessions",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",  # full-text search fields (anatomy/search.py); harmless on SQLite
    "reversion",
    "imagekit",
    "members.apps.MembersConfig",
    "anatomy",
    "courses",
    "page_cache",
]
# imagekit's image processors (pilkit) import Pillow's drawing module, and with
# it FreeType and HarfBuzz, which the site's image processing never uses: about
# 1.5 MB in every worker. Deferred, it loads where something draws (the demo
# data). So do the other modules pilkit imports, which only an upload uses
# (0.4 MB).
for _module in [
    "ImageChops",
    "ImageColor",
    "ImageDraw",
    "ImageEnhance",
    "ImageFile",
    "ImageFilter",
    "ImageOps",
    "ImageStat",
]:
    lazy_imports.defer(f"PIL.{_module}")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.refuse_nul_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF (it sets the cookie for the token a cached page gets), before the rest.
    "page_cache.middleware.PageCacheMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anatomy.context_processors.site",
                "members.context_processors.billing",
                "page_cache.middleware.csrf_placeholder",
            ],
        },
    },
]

# Database: SQLite next to the code unless DATABASE_URL names another.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so the browser tests' live server threads share it;
    # one per process, so test runs side by side do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's database operations import sqlparse to split SQL scripts, which
# only migrations and management commands do: 0.8 MB in every worker.
lazy_imports.defer("sqlparse")

# Cache and sessions: Redis when REDIS_URL is set, so that several app
# processes share rate limits, sessions and pages; local memory otherwise.
# A Redis outage reads as cache misses (config/cache.py), and sessions are
# kept in the database too, so members stay signed in through it.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Sets apart the keys of sites (or test runs) sharing one Redis database.
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "")
if REDIS_URL:
    _redis = {
        "BACKEND": "config.cache.ForgivingRedisCache",
        "LOCATION": REDIS_URL,
        # Short, so an unreachable Redis costs a request little before it is skipped.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
    }
    # redis-py imports its asyncio client as it loads; the site's calls are all
    # synchronous: 1.2 MB in every worker.
    lazy_imports.defer("redis.asyncio", before_its_package=True)
    CACHES = {
        "default": {**_redis, "KEY_PREFIX": CACHE_KEY_PREFIX},
        "pages": {**_redis, "KEY_PREFIX": f"{CACHE_KEY_PREFIX}pages"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Pages in each process's memory; the tokens that say which are current
        # in files every process on this machine shares (page_cache/shared_tokens.py).
        "pages": {
            "BACKEND": "page_cache.shared_tokens.SharedTokensCache",
            "LOCATION": os.environ.get("CACHE_DIR") or str(BASE_DIR / "cache"),
        },
    }
    SESSION_ENGINE = "config.sessions"
# Whole pages for anonymous readers, and each member's own copy of the pages
# they read (page_cache/), in a cache of their own so that many pages never
# push out rate limits. Staff edits, scheduled publishing and changes to a
# member's rows refresh them at once; anything changed another way (a bulk
# update, a renamed author) shows within this many seconds.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)
# Members' own copies decide who sees locked text: a refund handled by one
# worker must drop the copies all of them serve, which the tokens every
# process shares (Redis, or files) see to.
PAGE_CACHE_MEMBERS = envbool("PAGE_CACHE_MEMBERS", True)
# Rows saved every few seconds while a member is active: their saves drop the
# member's pages and what is kept from these rows, not their kept row and
# standing (page_cache/member_version.py).
PAGE_CACHE_MEMBER_ACTIVITY = ["courses.LessonProgress"]

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "members:account"

# django-allauth: email is the only identifier; it must be verified before
# the account can sign in.
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# A taken address gets a plain "already registered" message at sign-up.
ACCOUNT_PREVENT_ENUMERATION = False
# Confirming happens from a mail client, maybe on another device: sign in after.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Rate limits on the account forms (the rest keep allauth's defaults). They
# live in the cache, so with REDIS_URL every app process counts together.
# Failed sign-ins get a message on the form; over the others, templates/429.html.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",  # key: the address being guessed
    "signup": "10/m/ip,50/h/ip",
    "reset_password": "10/m/ip,5/h/key",  # key: the address the emails go to
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# WebAuthn is off, but allauth's sign-in stage imports its code, and with it
# fido2 and cryptography: about 12 MB in every worker. Deferred, they load
# only in a worker that checks a two-factor code (allauth's Authenticator.wrap
# imports them for every kind), so readers' and members' workers stay smaller.
lazy_imports.defer("allauth.mfa.webauthn.internal.auth")
MFA_TOTP_ISSUER = SITE_NAME

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The site is in English only. Off, Django skips its translation machinery:
# every {% url %}, date and form label asked for the active language through
# a thread-local (a tenth of a member's page render).
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves static files straight from the source folders (decided
# here, so a test run, which turns DEBUG off at runtime, does the same).
WHITENOISE_AUTOREFRESH = DEBUG
# favicon.ico and robots.txt, served at the site's root.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Largest image upload (illustrations, author photos), in bytes.
IMAGE_MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Largest image in pixels (width × height), checked before it is decoded: stops decompression bombs.
IMAGE_MAX_PIXELS = 40_000_000
# Largest PDF (post files, handouts), lesson video and captions upload, in bytes (members/uploads.py).
# The web server's own request size limit must allow the largest (nginx: client_max_body_size).
DOCUMENT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
VIDEO_MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024
CAPTIONS_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Locked files (exclusive posts, course videos and handouts) live apart from
# the public media and are served only after an access check: by Django in
# development, by the web server (X-Accel-Redirect) when PROTECTED_MEDIA_ACCEL
# names an nginx internal location.
PROTECTED_MEDIA_ROOT = Path(os.environ.get("PROTECTED_MEDIA_ROOT", BASE_DIR / "protected"))
PROTECTED_MEDIA_ACCEL = os.environ.get("PROTECTED_MEDIA_ACCEL", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "protected": {"BACKEND": "members.files.ProtectedStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Media on S3-compatible object storage when AWS_STORAGE_BUCKET_NAME is set, so
# every app server sees the same files. Public media (images, renditions) is
# read straight from the bucket (or AWS_S3_CUSTOM_DOMAIN, a CDN) under media/;
# locked files go under protected/ of AWS_PROTECTED_BUCKET_NAME (a private
# bucket; the media bucket by default) and are reached only through a signed
# URL that lives PROTECTED_MEDIA_URL_SECONDS. Keys come from boto3's usual
# sources: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the machine's role.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
PROTECTED_MEDIA_URL_SECONDS = envint("PROTECTED_MEDIA_URL_SECONDS", 60)
# Origins pages may load images and video from, besides the site itself.
MEDIA_ORIGINS = []
if AWS_STORAGE_BUCKET_NAME:
    _s3 = {
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        "signature_version": "s3v4",
        "file_overwrite": False,
        "custom_domain": None,
    }
    _protected_bucket = os.environ.get("AWS_PROTECTED_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME
    _custom_domain = os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "location": "media",
            "custom_domain": _custom_domain,
            "querystring_auth": False,
        },
    }
    STORAGES["protected"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": _protected_bucket,
            "location": "protected",
            "querystring_auth": True,
            "querystring_expire": PROTECTED_MEDIA_URL_SECONDS,
        },
    }
    if _s3["endpoint_url"]:  # S3-compatible services address buckets by path: one origin for both
        MEDIA_ORIGINS.append(_s3["endpoint_url"].rstrip("/"))
    else:
        # Amazon S3: the global host name, and the regional one it may redirect to.
        for bucket in dict.fromkeys([AWS_STORAGE_BUCKET_NAME, _protected_bucket]):
            MEDIA_ORIGINS.append(f"https://{bucket}.s3.amazonaws.com")
            if _s3["region_name"]:
                MEDIA_ORIGINS.append(f"https://{bucket}.s3.{_s3['region_name']}.amazonaws.com")
    if _custom_domain:
        MEDIA_ORIGINS.append(f"https://{_custom_domain}")

# Email: SMTP when EMAIL_HOST is set, the console otherwise.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# Stripe. STRIPE_API_BASE points the SDK elsewhere (localstripe in
# development and tests). With no secret key in development, `make run`
# starts localstripe and offers the offline test checkout.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_OFFLINE_CHECKOUT = envbool("STRIPE_OFFLINE_CHECKOUT", False)
# The Stripe SDK imports aiohttp, when installed, for async calls this site
# never makes (it is installed for localstripe, which runs as a process of its
# own): about 9 MB in every worker. Hidden from the site's processes.
sys.modules.setdefault("aiohttp", None)
# It also imports requests when it loads, only to pick its default HTTP client;
# the site passes its own (members.billing.client), which imports requests on
# the first call to Stripe. Hidden from that pick: about 5 MB in every worker
# that makes no Stripe call (the SDK's unused default becomes urllib's).
lazy_imports.hide_from("stripe._http_client", "requests")
# Days a supporter whose payment failed keeps access while they update their card.
SUPPORTER_GRACE_DAYS = envint("SUPPORTER_GRACE_DAYS", 7)

# Continuing education: the approved provider and its approval number, as
# printed on certificates of completion (copied into each one when it is
# issued). Without an approval number, certificates leave that line out.
CE_PROVIDER_NAME = os.environ.get("CE_PROVIDER_NAME", SITE_NAME)
CE_APPROVAL_NUMBER = os.environ.get("CE_APPROVAL_NUMBER", "")

# Security. Production (DEBUG off) is HTTPS-only; behind a proxy that
# terminates TLS, it must set X-Forwarded-Proto.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *MEDIA_ORIGINS],
    "media-src": [CSP.SELF, *MEDIA_ORIGINS],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Scripts never read the CSRF cookie: the lesson player takes the token from its page.
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Replaces Django's own console handler, which would print every line twice.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "stripe": {"level": "WARNING"},  # the SDK logs every request at INFO
    },
}
