"""Autonomia settings: the only settings module, driven by the environment.

With no DATABASE_URL / REDIS_URL it runs on an embedded default (SQLite, in-process
channel layer, in-process background jobs), so one command starts a working app.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and friends.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AUTONOMIA_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    """Read a string, or the contents of the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or "dev-insecure-" + "0" * 40
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
FRONTEND_URL = os.environ.get("FRONTEND_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "drf_spectacular_sidecar",  # Swagger UI files for /api/docs/ (served locally, no CDN)
    "channels",
    "autonomia",
    "inboxes",
    "inboxes.providers.whatsapp",  # WhatsApp Cloud API and Evolution API channels (docs/whatsapp.md)
    "contacts",
    "conversations",
    "automations",
    "automations.assistant",  # Alú, the AI assistant (app label "assistant")
    "helpcenter",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "helpcenter.middleware.custom_domains",  # a portal's custom domain gets the portal's URL conf
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "autonomia.middleware.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "autonomia.urls"
ASGI_APPLICATION = "autonomia.asgi.application"
AUTH_USER_MODEL = "autonomia.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "conversations:inbox"
LOGOUT_REDIRECT_URL = "login"

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
                "autonomia.context_processors.current_account",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------
# Embedded default: SQLite under var/. Production: DATABASE_URL (PostgreSQL, pooled).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
        # Under ASGI Django advises pooling instead of persistent connections.
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": env_int("DB_POOL_MAX", 20), "timeout": 10}
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ---------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 caps the async pool at 100 connections; a connect storm needs more.
                # socket_timeout above channels_redis' 5 s BZPOPMIN: redis-py 8 defaults it to 5 s, so a consumer
                # whose channel stayed idle for 5 s raced the read timeout and its socket died.
                "hosts": [{"address": REDIS_URL, "max_connections": env_int("CHANNEL_REDIS_MAX_CONNECTIONS", 2000),
                           "socket_timeout": 15}],
                "group_expiry": 3600,
                "capacity": 500,
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "asgi"),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
    EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", False)
else:
    # Room for the inbox's cached list rows (~2.5 KB each, conversations/views/rows.py); the default is 300 keys.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                          "OPTIONS": {"MAX_ENTRIES": 5000}}}
    # One process serves everything in the embedded default, so an in-memory layer is enough.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", True)

CELERY_TASK_EAGER_PROPAGATES = env_bool("CELERY_TASK_EAGER_PROPAGATES", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 4

# --- Auth and sessions --------------------------------------------------------
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # also the lifetime of an invitation link
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = env_bool("HTTPS", not DEBUG and bool(DATABASE_URL))
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Content-Security-Policy: nonces for scripts, nothing inline, no plugins, no <base>.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Label colours and avatar hues are per-row style attributes; element <style> still needs a nonce.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}

# Rate limits (Chatwoot's defaults): login 5 per 5 min per IP, 10 per 15 min per email.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_VIEW = "autonomia.views.rate_limited"
# The JSON API: requests per token (django-ratelimit syntax) and the Retry-After of a 429.
API_RATE_PER_TOKEN = os.environ.get("API_RATE_PER_TOKEN", "1200/m")
API_RETRY_AFTER_SECONDS = 60
LOGIN_RATE_PER_IP = os.environ.get("LOGIN_RATE_PER_IP", "5/5m")
LOGIN_RATE_PER_EMAIL = os.environ.get("LOGIN_RATE_PER_EMAIL", "10/15m")
PASSWORD_RESET_RATE = os.environ.get("PASSWORD_RESET_RATE", "5/30m")

# --- Email --------------------------------------------------------------------
if os.environ.get("EMAIL_HOST"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {
        "host": os.environ["EMAIL_HOST"],
        "port": env_int("EMAIL_PORT", 587),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 10,
    }}}
else:  # embedded default: emails (invitations, password resets) are printed on the console
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Autonomia <no-reply@localhost>")

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
try:  # whitenoise warns at every start when the collectstatic target does not exist yet
    STATIC_ROOT.mkdir(exist_ok=True)
except OSError:
    pass
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from static/ when collectstatic has not run
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: attachments go through an access-checked view
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 40 * 1024 * 1024)

# --- Product settings -----------------------------------------------------------
CONVERSATION_RESULTS_PER_PAGE = 25
PRESENCE_SECONDS = env_int("PRESENCE_SECONDS", 60)
CONVERSATION_MESSAGE_PER_MINUTE_LIMIT = env_int("CONVERSATION_MESSAGE_PER_MINUTE_LIMIT", 200)
# Outgoing webhooks (docs/webhooks.md): private/loopback targets are refused unless allowed (SSRF).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24)
# WhatsApp (docs/whatsapp.md): the Graph API base URL is a setting so tests and proxies can point elsewhere.
WHATSAPP_CLOUD_BASE_URL = os.environ.get("WHATSAPP_CLOUD_BASE_URL", "https://graph.facebook.com").rstrip("/")
WHATSAPP_CLOUD_API_VERSION = os.environ.get("WHATSAPP_CLOUD_API_VERSION", "v22.0")
WHATSAPP_HTTP_TIMEOUT = env_int("WHATSAPP_HTTP_TIMEOUT", 15)
WHATSAPP_MEDIA_MAX_BYTES = env_int("WHATSAPP_MEDIA_MAX_BYTES", 100 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
