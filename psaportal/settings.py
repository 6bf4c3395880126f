"""PSA Portal settings. Everything comes from the environment; the defaults written out
here are the embedded ones a newcomer gets: SQLite, tasks in-process, the local
Membrane sandbox. `.env.example` lists every variable."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """1/0, true/false, yes/no, on/off in any case; unset or empty is the default."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a yes/no value: "
            "use 1/0, true/false, yes/no or on/off (any case), or leave it empty for the default."
        )
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """A whole number; unset or empty is the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a whole number; leave it empty for the default."
        ) from None


def env_seconds(name: str, default: float) -> float:
    """A number of seconds, fractions allowed; unset or empty is the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a number of seconds; leave it empty for the "
            "default."
        )
    return seconds


def env_share(name: str, default: float) -> float:
    """A share from 0 to 1 (0.2 is 20 %); unset or empty is the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a share from 0 to 1 (0.2 is 20 %); leave it "
            "empty for the default."
        )
    return share


def env_url(name: str, default: str) -> str:
    """An http(s) address without a trailing slash; unset or empty is the default."""
    value = os.environ.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an http(s) address such as https://portal.example.com; "
            "leave it empty for the default."
        )
    return value.rstrip("/")


def env_list(name: str, default: str) -> list[str]:
    """Comma-separated; unset is the default."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-default-for-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "psaportal.accounts",
    "psaportal.jobs",
    "psaportal.connections",
    "psaportal.records",
    "psaportal.actions",
    "psaportal.reports",
    "psaportal.sandbox",
]

MIDDLEWARE = [
    # First, so every later log line of the request carries its id.
    "psaportal.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a session unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psaportal.urls"
WSGI_APPLICATION = "psaportal.wsgi.application"

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
                "psaportal.accounts.context_processors.navigation",
                "psaportal.connections.context_processors.connection_status",
            ],
        },
    },
]

# Inputs, text areas and selects drawn in Python, the same HTML as Django's templates.
FORM_RENDERER = "psaportal.form_renderer.QuickFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the permissions read in one query (every page checks them).
    "psaportal.accounts.backends.PermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: five tries per username and address, then a fifteen-minute pause; and
# twenty per address whatever the usernames (spraying), counted by our own handler.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
AXES_HANDLER = "psaportal.accounts.lockout.AddressLimitHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
# In development and tests WhiteNoise serves straight from static/; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
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

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "psa-portal@localhost")
# The portal's address as its users reach it: links in the mail it sends start with it.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

# Background work: Redis when REDIS_URL is set, otherwise every task runs in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "psaportal")
CELERY_TASK_IGNORE_RESULT = True  # the Job table is the record of background work
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection around every task unless this is
# set: a sync's hundred page tasks would each open a new PostgreSQL connection. It closes
# it after this many tasks instead; psaportal.celery closes one that is broken or older
# than CONN_MAX_AGE before each task, as Django does before each request.
CELERY_DB_REUSE_MAX = 1000
# Tasks are acknowledged when they end (acks_late): one whose worker process dies is handed
# out again at once (reject_on_worker_lost); one whose whole worker is lost (SIGKILL, the
# machine gone) waits in Redis this long, then goes to a live worker. Longer than a task may
# run plus the longest retry countdown (a countdown's message is held unacked too), or a
# task still under way is handed out twice. Edits left behind are also resent, sooner, by
# the stalled-change sweep (JOB_STALLED_AFTER_SECONDS).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("BROKER_VISIBILITY_TIMEOUT_SECONDS", 3600),
    # Look for such messages every 10 s, not kombu's every 100 s.
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = TIME_ZONE
# Every task: stopped politely after the soft limit, killed after the hard one (prefork pool).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("TASK_SOFT_TIME_LIMIT_SECONDS", 120)
CELERY_TASK_TIME_LIMIT = env_int("TASK_TIME_LIMIT_SECONDS", 150)
# Membrane calls that may pass (429, 5xx, timeouts) are tried this often in all, waiting
# Retry-After (at most the cap) or an exponential backoff from the base up to its cap.
TASK_MAX_ATTEMPTS = max(1, env_int("TASK_MAX_ATTEMPTS", 6))
TASK_RETRY_BACKOFF_SECONDS = env_seconds("TASK_RETRY_BACKOFF_SECONDS", 1)
TASK_RETRY_BACKOFF_MAX_SECONDS = env_seconds("TASK_RETRY_BACKOFF_MAX_SECONDS", 60)
TASK_RETRY_AFTER_MAX_SECONDS = env_seconds("TASK_RETRY_AFTER_MAX_SECONDS", 300)
# Work (a job, a pending change) with no news for this long has stalled: the Job pages show
# it stuck and the beat sweeps send it again. Never less than a task may run plus its
# longest retry wait (jobs.selectors.stalled_after).
JOB_STALLED_AFTER_SECONDS = env_seconds("JOB_STALLED_AFTER_SECONDS", 600)
# Celery beat (`celery -A psaportal beat`): incremental sync of the mirror every N minutes.
RECORDS_SYNC_INTERVAL_MINUTES = max(1, env_int("RECORDS_SYNC_INTERVAL_MINUTES", 15))
# Records a sync page asks the PSA for (ConnectWise allows up to 1000).
RECORDS_SYNC_PAGE_SIZE = min(1000, max(1, env_int("RECORDS_SYNC_PAGE_SIZE", 1000)))
# ConnectWise lists no deletions: an id sweep (ids only) per kind notices them in between
# full syncs.
RECORDS_SWEEP_INTERVAL_MINUTES = max(1, env_int("RECORDS_SWEEP_INTERVAL_MINUTES", 60))
# The mass-deletion guard: a full sync or sweep that would remove more than this share of a
# kind's mirror (and more than RECORDS_DELETE_GUARD_MIN records) deletes nothing and waits
# for an admin (an empty or truncated answer must not wipe the mirror). 1 turns it off.
RECORDS_DELETE_GUARD_SHARE = env_share("RECORDS_DELETE_GUARD_SHARE", 0.2)
RECORDS_DELETE_GUARD_MIN = env_int("RECORDS_DELETE_GUARD_MIN", 10)
CELERY_BEAT_SCHEDULE = {
    "records-incremental-sync": {
        "task": "psaportal.records.sync.tasks.sync_scheduled",
        "schedule": timedelta(minutes=RECORDS_SYNC_INTERVAL_MINUTES),
    },
    "records-id-sweep": {
        "task": "psaportal.records.sync.tasks.sweep_scheduled",
        "schedule": timedelta(minutes=RECORDS_SWEEP_INTERVAL_MINUTES),
    },
    # Sync jobs whose worker or messages were lost (SIGKILL, Redis restarted).
    "records-resume-stalled-syncs": {
        "task": "psaportal.records.sync.tasks.resume_stalled_syncs",
        "schedule": timedelta(minutes=5),
    },
    # Edits whose tries ran out while Membrane was down, or whose worker was lost.
    "records-resend-stalled-changes": {
        "task": "psaportal.records.changes.tasks.resend_stalled_changes",
        "schedule": timedelta(minutes=5),
    },
    # The managers' weekly digest of last week's figures: Mondays at 07:00 (TIME_ZONE).
    # https://crontab.guru/#0_7_*_*_1
    "reports-weekly-digest": {
        "task": "psaportal.reports.tasks.send_weekly_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
    },
}

# Membrane: the local sandbox by default; the real API with a token or workspace key+secret.
MEMBRANE_API_URL = os.environ.get("MEMBRANE_API_URL", "http://127.0.0.1:8765")
MEMBRANE_TOKEN = os.environ.get(
    "MEMBRANE_TOKEN", "" if os.environ.get("MEMBRANE_WORKSPACE_KEY") else "pat-sandbox-token"
)
MEMBRANE_WORKSPACE_KEY = os.environ.get("MEMBRANE_WORKSPACE_KEY", "")
MEMBRANE_WORKSPACE_SECRET = os.environ.get("MEMBRANE_WORKSPACE_SECRET", "")
MEMBRANE_TENANT_KEY = os.environ.get("MEMBRANE_TENANT_KEY", "psa-portal")
MEMBRANE_TIMEOUT_SECONDS = env_seconds("MEMBRANE_TIMEOUT_SECONDS", 30)
# The action and API consoles show answers up to this size on the page; larger ones are
# kept and offered as a download instead.
CONSOLE_DISPLAY_LIMIT_BYTES = max(1024, env_int("CONSOLE_DISPLAY_LIMIT_BYTES", 256 * 1024))
CONNECTWISE_APP_URL = "https://www.connectwise.com/platform/business-management/psa"

# Content-Security-Policy: our own static files only; no inline script, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Every request reads its session. With SESSION_REDIS_URL (a Redis database of its own, not
# the broker's) it is read from Redis and written to both (cached_db): one database query
# less a request, and a Redis restart logs no one out.
SESSION_REDIS_URL = os.environ.get("SESSION_REDIS_URL", "").strip()
if SESSION_REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SESSION_REDIS_URL,
            "KEY_PREFIX": "psaportal-sessions",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A load balancer probes the health check over plain HTTP, on the machine itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Log lines carry the request id (psaportal.request_id). "json" (the default with DEBUG off):
# one JSON object per line for a log collector; "text": lines for a person.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "psaportal.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# Workers log through the same handler (request ids, JSON), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
