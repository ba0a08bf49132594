"""Django settings for Hotwash.

Everything that differs between a laptop and production comes from
environment variables, read through the typed helpers in `hotwash.envconfig`.
With no variables set, Hotwash runs on an embedded SQLite database in
`./data/`, so a fresh checkout just works.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from hotwash.envconfig import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("HOTWASH_DATA_DIR", Path.cwd() / "data")

# Production mode refuses anything that is only safe on a developer's machine.
PRODUCTION = env_bool("HOTWASH_PRODUCTION", False)
DEBUG = env_bool("HOTWASH_DEBUG", not PRODUCTION)

_DEV_SECRET_KEY = "hotwash-development-key-do-not-use-in-production"
SECRET_KEY = env_str("HOTWASH_SECRET_KEY", _DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ConfigurationError(
        "HOTWASH_PRODUCTION is on, so HOTWASH_SECRET_KEY must be set to a random value "
        "of at least 32 characters (for example: python -c 'import secrets; "
        "print(secrets.token_urlsafe(48))')."
    )

ALLOWED_HOSTS = env_list("HOTWASH_ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("HOTWASH_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("HOTWASH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its bundled Swagger UI assets, so the API docs need no CDN
    "hotwash.core",
    "hotwash.accounts",
    "hotwash.incidents",
    "hotwash.live",
    "hotwash.api",
    "hotwash.blameless",
    "hotwash.teams",
    "hotwash.postmortems",
    "hotwash.actions",
    "hotwash.trackers",
    "hotwash.notifications",
    "hotwash.jobs",
    "hotwash.alerts",
    "hotwash.triggers",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hotwash.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotwash.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hotwash.urls"
WSGI_APPLICATION = "hotwash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite (WAL) is the embedded default; PostgreSQL is the production database.
DEFAULT_SQLITE_PATH = DATA_DIR / "hotwash.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
try:
    _database = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("HOTWASH_DB_CONN_MAX_AGE", 60, minimum=0)
    )
except ValueError as exc:  # dj_database_url raises ValueError on unknown schemes
    raise ConfigurationError(
        f"DATABASE_URL is not a database URL Hotwash understands: {exc}"
    ) from None

if _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] and _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while one writer commits; IMMEDIATE transactions
    # take the write lock up front so two writers queue instead of failing
    # with "database is locked" half-way through a transaction.
    _database["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database["CONN_MAX_AGE"] = 0 if _database["NAME"] == ":memory:" else _database["CONN_MAX_AGE"]
    _database.setdefault("TEST", {})
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # A bounded pool per process: the server runs hundreds of threads (live
    # streams hold one each), and one persistent connection per thread would
    # exhaust PostgreSQL's max_connections under load.
    _database["CONN_MAX_AGE"] = 0
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("HOTWASH_DB_POOL_SIZE", 16, minimum=1),
        "timeout": 10,
    }
    _database.setdefault("TEST", {})
    if test_name := env_str("HOTWASH_TEST_DATABASE_NAME", ""):
        _database["TEST"]["NAME"] = test_name
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Single sign-on plugs in here later (an OIDC or SAML backend before this one).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
# Background work (reminders, tracker calls, trigger checks) goes through
# Django's task interface into a queue table that `hotwash worker` drains.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Stored times are UTC; each person sees their own zone (Profile.timezone).
TIME_ZONE = env_str("HOTWASH_TIME_ZONE", "UTC")

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]

# --- Limits -----------------------------------------------------------------
# Request bodies above this are refused with 413 before anything is parsed.
MAX_BODY_BYTES = env_int("HOTWASH_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

# --- Live updates -----------------------------------------------------------
# Seconds an event stream stays open before the browser reconnects; keeps
# long-lived threads bounded and lets load balancers rebalance.
LIVE_STREAM_SECONDS = env_int("HOTWASH_LIVE_STREAM_SECONDS", 300, minimum=5)
LIVE_HEARTBEAT_SECONDS = env_int("HOTWASH_LIVE_HEARTBEAT_SECONDS", 15, minimum=1)

# --- Policies ---------------------------------------------------------------
POLICY_FILE = env_str("HOTWASH_POLICY_FILE", "")
# A resolved alert group that fires again after this many seconds starts a
# new episode (and may open a new incident); sooner, it is the same trouble.
ALERTS_GROUP_WINDOW_SECONDS = env_int("HOTWASH_ALERT_GROUP_WINDOW_SECONDS", 3600, minimum=0)
# Trigger policies (alerts, deploys, heartbeats, resolution time) to change.
TRIGGER_POLICY_FILE = env_str("HOTWASH_TRIGGER_POLICY_FILE", "")
# An organisation's blameless-language rules (a YAML file, or a folder of
# them) that add to, replace or disable the shipped ones.
BLAMELESS_RULES = env_str("HOTWASH_BLAMELESS_RULES", "")
# A folder of postmortem templates (YAML) that add to or replace the shipped ones.
POSTMORTEM_TEMPLATES = env_str("HOTWASH_POSTMORTEM_TEMPLATES", "")

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HOTWASH_LOG_LEVEL", "WARNING")},
}
