"""Django settings for Hotwash.

Everything that differs between a laptop and production comes from
environment variables, read through the typed helpers in `hotwash.envconfig`.
With no variables set, Hotwash runs on an embedded SQLite database in
`./data/`, so a fresh checkout just works.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.utils.translation import gettext_lazy as _

from hotwash.accounts.oidc_config import DEFAULT_SCOPES, oidc_settings
from hotwash.core.logging import LOG_FORMATS, LOG_LEVELS, logging_config
from hotwash.envconfig import (
    ConfigurationError,
    SmtpServer,
    env_bool,
    env_choice,
    env_hour,
    env_int,
    env_list,
    env_path,
    env_seconds,
    env_smtp_url,
    env_str,
    env_weekday,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("HOTWASH_DATA_DIR", Path.cwd() / "data")

# Production mode refuses anything that is only safe on a developer's machine.
PRODUCTION = env_bool("HOTWASH_PRODUCTION", False)
# Django's debug pages print settings, environment variables and every
# frame's locals (database and SMTP passwords included): off unless asked for
# by name, and even then shown to signed-in admins only (hotwash.accounts.debug).
DEBUG = env_bool("HOTWASH_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ConfigurationError(
        "HOTWASH_PRODUCTION is on, so HOTWASH_DEBUG must be off: debug pages are for a "
        "developer's machine."
    )
DEFAULT_EXCEPTION_REPORTER = "hotwash.accounts.debug.AdminOnlyExceptionReporter"

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
    "axes",  # sign-in throttling (see "Sign-in throttling" below)
    "ninja",  # its bundled Swagger UI assets, so the API docs need no CDN
    "hotwash.core",
    "hotwash.accounts",
    "hotwash.incidents",
    "hotwash.live",
    "hotwash.blameless",
    "hotwash.teams",
    "hotwash.postmortems",
    "hotwash.actions",
    "hotwash.trackers",
    "hotwash.notifications",
    "hotwash.jobs",
    "hotwash.alerts",
    "hotwash.triggers",
    # Search and similar incidents; insights and themes: above the domains
    # they read (incidents, postmortems, action items, alerts, reports).
    "hotwash.search",
    "hotwash.insights",
    # Stakeholder updates and the status page (above notifications, which it
    # feeds with update events and subscribers).
    "hotwash.statuspage",
    # Near misses and confidential concerns: above postmortems and incidents,
    # which a near miss can become.
    "hotwash.reports",
    # Public versions of postmortems (redacted, confirmed by their author):
    # above postmortems, whose text it reads.
    "hotwash.sharing",
    # Chat platforms as a front end (commands, incident conversations, the
    # timeline from the conversation): above the domains it drives.
    "hotwash.chat",
    # Above the domains: fills their registries of alert sources and trackers.
    "hotwash.integrations",
    # Health, readiness, metrics, backup and restore: reads every domain.
    "hotwash.operations",
    "hotwash.wiring",  # on top: connects the apps' signals (wiring/reactions.py)
    # The composition root: the API (api/urls.py) and the `demo` command.
    "hotwash.api",
    "django_tasks",
    "hotwash.jobs.apps.TaskResultsConfig",  # django-tasks-db, named in French too
]

MIDDLEWARE = [
    # First, so every response gets its X-Request-ID and its access line
    # (hotwash/core/request_id.py; see "Logs" below).
    "hotwash.core.request_id.RequestIdMiddleware",
    # Request counts and latency per route for /metrics: second, so it times
    # everything below it (hotwash/operations/middleware.py).
    "hotwash.operations.middleware.RequestMetricsMiddleware",
    # Security headers on everything, static files included (see "Security
    # headers" below).
    "django.middleware.security.SecurityMiddleware",
    # /healthz, /readyz and /metrics answered here, before sessions, CSRF,
    # the language, sign-in and the Host check (probes come by address).
    "hotwash.operations.middleware.OperationsEndpointsMiddleware",
    "hotwash.core.middleware.StaticFilesMiddleware",
    "csp.middleware.CSPMiddleware",
    "hotwash.accounts.debug.AdminOnlyDebugPagesMiddleware",
    "hotwash.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotwash.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Bad input (issue 9): text that cannot be stored (a NUL, a lone
    # surrogate) in a path, query, form or JSON body is refused here, before
    # any view; after the user and language are known, so the page is theirs.
    "hotwash.core.input_guard.StorableTextMiddleware",
    # Sign-in throttling: turns a lock-out into the sign-in page (429). Last,
    # so every other middleware sees that page too.
    "axes.middleware.AxesMiddleware",
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
    # Django's backend, with the threads of a process queueing for the
    # write lock instead of polling for it (hotwash.core.sqlite3.base).
    _database["ENGINE"] = "hotwash.core.sqlite3"
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
    # Tests on SQLite use an in-memory database, as Django's own backend
    # does by default. Said outright because pytest-django recognises SQLite
    # by Django's engine name only: with ours it took the database for a
    # server's and, under xdist, named a file "test_:memory:_gw0" in the
    # working directory for each process.
    _database.setdefault("TEST", {}).setdefault("NAME", ":memory:")
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
AUTHENTICATION_BACKENDS = [
    # Sign-in throttling first: refuses a locked-out person before any
    # password is checked.
    "axes.backends.AxesStandaloneBackend",
    # HOTWASH_PASSWORD_LOGIN=0 refuses passwords here, before any is checked.
    "hotwash.accounts.oidc.PasswordSignInSwitch",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (OpenID Connect): answers only the /oidc/callback/ view.
    "hotwash.accounts.oidc.OidcBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in throttling (django-axes; hotwash/accounts/throttling.py) --------
# After LOGIN_FAILURE_LIMIT wrong passwords for one account from one client
# address, that account cannot sign in from that address for the cool-off
# period (each refused attempt starts it again); other people and other
# addresses are unaffected. Admins unlock people from the user list (action
# "Unlock sign-in"); Axes' own admin lists the attempts. API tokens are not
# counted. Attempts are kept in the database, so every server process and
# every worker agrees.
LOGIN_FAILURE_LIMIT = env_int("HOTWASH_LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_COOLOFF_MINUTES = env_int("HOTWASH_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
# Behind a reverse proxy: the request header holding the client's address
# (e.g. X-Forwarded-For or X-Real-IP; its right-most entry is used). Only set
# it when every request comes through a proxy that writes that header;
# unset, the connection's own address (REMOTE_ADDR) is used.
CLIENT_IP_HEADER = env_str("HOTWASH_CLIENT_IP_HEADER", "").strip()
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "hotwash.accounts.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "hotwash.accounts.throttling.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a success before the limit starts the count again
# Sign-ins and sign-outs are in Hotwash's audit records (with the address).
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429

# --- Single sign-on (OpenID Connect; hotwash/accounts/oidc.py) ---------------
# On when HOTWASH_OIDC_ISSUER is set. The provider's endpoints come from its
# discovery document when someone signs in, never at start-up: a provider
# that is down does not stop Hotwash. The redirect URI to register with the
# provider is SITE_URL + "/oidc/callback/" (one for both languages).
_oidc = oidc_settings(
    issuer=env_str("HOTWASH_OIDC_ISSUER", ""),
    client_id=env_str("HOTWASH_OIDC_CLIENT_ID", ""),
    client_secret=env_str("HOTWASH_OIDC_CLIENT_SECRET", ""),
    name=env_str("HOTWASH_OIDC_NAME", ""),
    scopes=env_str("HOTWASH_OIDC_SCOPES", DEFAULT_SCOPES),
    role_claim=env_str("HOTWASH_OIDC_ROLE_CLAIM", "groups"),
    role_map=env_str("HOTWASH_OIDC_ROLE_MAP", ""),
    password_login=env_bool("HOTWASH_PASSWORD_LOGIN", True),
    production=PRODUCTION,
)
OIDC_ISSUER = _oidc.issuer
OIDC_CLIENT_ID = _oidc.client_id
OIDC_CLIENT_SECRET = _oidc.client_secret
OIDC_NAME = _oidc.name  # the provider's name on the sign-in page
OIDC_SCOPES = _oidc.scopes
# Roles from the provider (e.g. hotwash-admins=admin,hotwash-responders=responder),
# applied at every sign-in; anyone else is a viewer. Empty: roles are managed
# in Hotwash, and people who sign on for the first time are viewers.
OIDC_ROLE_CLAIM = _oidc.role_claim
OIDC_ROLE_MAP = _oidc.role_map
# 0: passwords are refused (sign-in page and admin), single sign-on only.
PASSWORD_LOGIN = _oidc.password_login

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
# Live streams one person may hold in one server process (issue 9: one
# viewer could otherwise take every slot); beyond it, 429.
LIVE_STREAMS_PER_PERSON = env_int("HOTWASH_LIVE_STREAMS_PER_PERSON", 10, minimum=1)

# --- Serving (hotwash serve; hotwash/core/management/commands/serve.py) -----
# Worker processes and threads per worker, the defaults of `serve --workers`
# and `--threads`. Each open live stream holds a thread, so the thread count
# also bounds the streams one process accepts (hotwash.incidents.views.live).
SERVER_WORKERS = env_int("HOTWASH_WORKERS", 1, minimum=1)
SERVER_THREADS = env_int("HOTWASH_THREADS", 256, minimum=4)

# --- Health, readiness and metrics (hotwash/operations; docs/operations.md) --
# A bearer token Prometheus must send to read /metrics; empty, /metrics is
# open to anyone who can reach the server (counts only, no incident's facts).
METRICS_TOKEN = env_str("HOTWASH_METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ConfigurationError(
        "HOTWASH_METRICS_TOKEN must be at least 16 characters (for example: python -c "
        "'import secrets; print(secrets.token_urlsafe(32))'), or empty to leave /metrics open."
    )
# Where `hotwash serve --workers N` (N > 1) keeps each worker process's
# request metrics for /metrics to add up (Prometheus' multiprocess mode);
# emptied at every start.
METRICS_MULTIPROCESS_DIR = DATA_DIR / "metrics"

# --- Background work (hotwash worker; hotwash/jobs) -------------------------
# Seconds an idle worker waits before looking for work again.
WORKER_INTERVAL = env_seconds("HOTWASH_WORKER_INTERVAL", 1.0, minimum=0.0)
# Attempts for a task that calls the outside world (an email, a webhook, a
# tracker) before it is given up as failed, and the wait before the first
# retry (it doubles after each failure, up to six hours).
TASK_MAX_ATTEMPTS = env_int("HOTWASH_TASK_MAX_ATTEMPTS", 6, minimum=1)
TASK_RETRY_SECONDS = env_seconds("HOTWASH_TASK_RETRY_SECONDS", 60.0, minimum=0.0)

# --- Notifications (hotwash/notifications) ----------------------------------
# A reminder goes out this many days before an item's due date (0: on the
# day), an overdue notice within this many days after it; the weekly digest
# from this weekday (ISO number, 1 = Monday) and local hour (in each
# recipient's zone) on. The scans run every NOTIFICATION_SCAN_SECONDS.
REMINDER_DAYS_BEFORE = env_int("HOTWASH_REMINDER_DAYS_BEFORE", 3, minimum=0)
OVERDUE_NOTICE_DAYS = env_int("HOTWASH_OVERDUE_NOTICE_DAYS", 7, minimum=1)
DIGEST_WEEKDAY = env_weekday("HOTWASH_DIGEST_WEEKDAY", "monday")
DIGEST_HOUR = env_hour("HOTWASH_DIGEST_HOUR", 8)
NOTIFICATION_SCAN_SECONDS = env_seconds("HOTWASH_NOTIFICATION_SCAN_SECONDS", 300, minimum=1)
# Seconds before a webhook receiver that does not answer is given up (and
# the delivery retried later).
WEBHOOK_TIMEOUT = env_seconds("HOTWASH_WEBHOOK_TIMEOUT", 10.0, minimum=1.0)

# --- Status page (hotwash/statuspage; docs/communications.md#the-status-page) ---
# Cache-Control max-age of the public status page and its feeds: short, so a
# proxy or browser that caches them still shows a new update within seconds.
STATUS_PAGE_MAX_AGE = env_int("HOTWASH_STATUS_PAGE_MAX_AGE", 1, minimum=0)
# How often each web process asks the database whether the stored pages
# changed (one cheap query per process per interval, not per request).
STATUS_PAGE_CHECK_SECONDS = env_seconds("HOTWASH_STATUS_PAGE_CHECK_SECONDS", 0.5, minimum=0.0)
# Subscribers: how long a confirmation link works, and how soon a pending
# address can be sent another one.
STATUS_CONFIRMATION_MAX_AGE_HOURS = env_int("HOTWASH_STATUS_CONFIRMATION_HOURS", 48, minimum=1)
STATUS_CONFIRMATION_RESEND_MINUTES = env_int(
    "HOTWASH_STATUS_CONFIRMATION_RESEND_MINUTES", 15, minimum=1
)

# --- Insights (hotwash/insights; docs/insights.md#how-fresh-the-figures-are) --
# Figures that took longer than this to compute (milliseconds) are computed
# again in the background when data changes, and the page shows the previous
# ones, with their time, meanwhile; cheaper ones are computed on the page.
INSIGHTS_BACKGROUND_AFTER_MS = env_int("HOTWASH_INSIGHTS_BACKGROUND_AFTER_MS", 150, minimum=0)
# The oldest figures the page shows while newer ones are computed (figures
# of unchanged data count as current for an hour); 0: always compute on the
# page.
INSIGHTS_STALE_SECONDS = env_int("HOTWASH_INSIGHTS_STALE_SECONDS", 7200, minimum=0)

# --- Mail (Django's EMAIL_* settings) ---------------------------------------
# Hotwash's notifications and any mail Django sends itself (django.core.mail:
# send_mail, mail_admins) go through these. One URL, HOTWASH_SMTP_URL
# (smtp://host:25 plain, smtp+tls://user:password@host:587 STARTTLS,
# smtps://user:password@host:465 TLS from the first byte), or separate
# HOTWASH_EMAIL_* variables; the URL wins. With neither, messages are
# written to the process's output instead of sent: what a laptop wants.
_smtp = env_smtp_url("HOTWASH_SMTP_URL")
if _smtp is None:
    _smtp_ssl = env_bool("HOTWASH_EMAIL_USE_SSL", False)
    _smtp_tls = env_bool("HOTWASH_EMAIL_USE_TLS", False)
    if _smtp_ssl and _smtp_tls:
        raise ConfigurationError(
            "HOTWASH_EMAIL_USE_TLS (STARTTLS) and HOTWASH_EMAIL_USE_SSL (TLS from the "
            "start) exclude each other; set one."
        )
    _smtp = SmtpServer(
        host=env_str("HOTWASH_EMAIL_HOST", "").strip(),
        port=env_int("HOTWASH_EMAIL_PORT", 465 if _smtp_ssl else 25, minimum=1),
        username=env_str("HOTWASH_EMAIL_USER", ""),
        password=env_str("HOTWASH_EMAIL_PASSWORD", ""),
        use_tls=_smtp_tls,
        use_ssl=_smtp_ssl,
    )
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if _smtp.host
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _smtp.host
EMAIL_PORT = _smtp.port
EMAIL_HOST_USER = _smtp.username
EMAIL_HOST_PASSWORD = _smtp.password
EMAIL_USE_TLS = _smtp.use_tls
EMAIL_USE_SSL = _smtp.use_ssl
# Seconds before an SMTP server that does not answer is given up (and the
# message retried later).
EMAIL_TIMEOUT = env_seconds("HOTWASH_EMAIL_TIMEOUT", 10.0, minimum=1.0)
DEFAULT_FROM_EMAIL = env_str("HOTWASH_EMAIL_FROM", "Hotwash <hotwash@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Policies ---------------------------------------------------------------
POLICY_FILE = env_str("HOTWASH_POLICY_FILE", "")
# A resolved alert group that fires again after this many seconds starts a
# new episode (and may open a new incident); sooner, it is the same trouble.
ALERTS_GROUP_WINDOW_SECONDS = env_int("HOTWASH_ALERT_GROUP_WINDOW_SECONDS", 3600, minimum=0)
# Trigger policies (alerts, deploys, heartbeats, resolution time) to change.
TRIGGER_POLICY_FILE = env_str("HOTWASH_TRIGGER_POLICY_FILE", "")
# Notification rules: who hears what, through which channel
# (hotwash/notifications/defaults.yaml; docs/communications.md).
NOTIFICATION_POLICY_FILE = env_str("HOTWASH_NOTIFICATION_POLICY_FILE", "")
# An organisation's blameless-language rules (a YAML file, or a folder of
# them) that add to, replace or disable the shipped ones.
BLAMELESS_RULES = env_str("HOTWASH_BLAMELESS_RULES", "")
# A folder of postmortem templates (YAML) that add to or replace the shipped ones.
POSTMORTEM_TEMPLATES = env_str("HOTWASH_POSTMORTEM_TEMPLATES", "")
# The organisation's internal domains (comma-separated, e.g.
# "corp.example,internal"): host names under them, and links to them, are
# replaced in the public version of a postmortem (hotwash/sharing).
INTERNAL_DOMAINS = env_list("HOTWASH_INTERNAL_DOMAINS", [])

# --- Trackers (hotwash/trackers) --------------------------------------------
# How often the worker polls each tracker for issues closed or reopened
# while a webhook was missed.
TRACKER_POLL_SECONDS = env_int("HOTWASH_TRACKER_POLL_SECONDS", 300, minimum=30)
# The folders a tracker's secret files may live in, so a tracker's settings
# cannot make Hotwash send, say, /etc/passwd to a server as a token.
TRACKER_SECRET_DIRS = env_list(
    "HOTWASH_TRACKER_SECRET_DIRS",
    ["/run/secrets", "/var/run/secrets", str(DATA_DIR / "secrets")],
)

# --- Integrations (hotwash/integrations; docs/integrations.md) --------------
# Amazon SNS: the scheme and host an SNS signing certificate or subscription
# URL must start with. No environment variable on purpose: a deployment
# cannot be told to trust another host by accident (tests point it at a
# loopback stand-in).
ALERTS_SNS_URL_PATTERN = r"https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(:443)?/"

# Pagers (hotwash/integrations/pagerduty, opsgenie; docs/communications.md):
# where the notification rules' pages go. PagerDuty's documented Events API
# v2 endpoint, and Opsgenie's API (https://api.eu.opsgenie.com for an EU
# account); tests and benches point them at loopback stand-ins.
PAGERDUTY_EVENTS_URL = env_str(
    "HOTWASH_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue"
)
OPSGENIE_API_URL = env_str("HOTWASH_OPSGENIE_API_URL", "https://api.opsgenie.com").rstrip("/")
# A typo there would send every page nowhere: stop the start instead.
for _name, _url in (
    ("HOTWASH_PAGERDUTY_EVENTS_URL", PAGERDUTY_EVENTS_URL),
    ("HOTWASH_OPSGENIE_API_URL", OPSGENIE_API_URL),
):
    if not _url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{_name} must be an http(s):// address; got {_url!r}")
# Seconds before a pager API that does not answer is given up (and the page
# retried with backoff).
PAGER_TIMEOUT = env_seconds("HOTWASH_PAGER_TIMEOUT", 10.0, minimum=1.0)

# --- Slack (hotwash/integrations/slack; docs/chat.md#slack) -----------------

# The Slack app's signing secret (checks every request Slack sends) and its
# bot token (xoxb-..., for the Web API). Without both, the Slack endpoints
# answer 404 and the `slack` channel refuses its deliveries.
SLACK_SIGNING_SECRET = env_str("HOTWASH_SLACK_SIGNING_SECRET", "")
SLACK_BOT_TOKEN = env_str("HOTWASH_SLACK_BOT_TOKEN", "")
# The Web API's base (slack_sdk's WebClient base_url); tests use a stand-in.
SLACK_API_URL = env_str("HOTWASH_SLACK_API_URL", "https://slack.com/api/")
# An incident channel's name: {number} and {slug} (of the title), lowercased
# and cut to Slack's 80 characters.
SLACK_CHANNEL_PATTERN = env_str("HOTWASH_SLACK_CHANNEL_PATTERN", "inc-{number}-{slug}")
# The reaction that puts a message on the timeline (its name, without colons).
SLACK_TIMELINE_REACTION = env_str("HOTWASH_SLACK_TIMELINE_REACTION", "pushpin").strip(":")
# How long one Web API call may take.
SLACK_TIMEOUT = env_seconds("HOTWASH_SLACK_TIMEOUT", 10.0, minimum=1.0)

# --- Microsoft Teams (hotwash/integrations/teams; docs/chat.md#microsoft-teams)

# The bot's Azure registration (single-tenant): its application (client)
# id, a client secret, and the tenant that owns it. Empty: the bot is off
# (its endpoint answers 401 to everything).
TEAMS_APP_ID = env_str("HOTWASH_TEAMS_APP_ID", "")
TEAMS_APP_PASSWORD = env_str("HOTWASH_TEAMS_APP_PASSWORD", "")
TEAMS_TENANT_ID = env_str("HOTWASH_TEAMS_TENANT_ID", "")
# Or a certificate instead of the secret: a PEM file with the private key
# and the certificate uploaded to the app registration.
TEAMS_CERTIFICATE_FILE = env_str("HOTWASH_TEAMS_CERTIFICATE_FILE", "")
# Where the Bot Framework publishes its signing keys (the OpenID metadata
# document names the JWKS), and where the bot gets its own token
# ({tenant} is replaced by HOTWASH_TEAMS_TENANT_ID).
TEAMS_OPENID_URL = env_str(
    "HOTWASH_TEAMS_OPENID_URL",
    "https://login.botframework.com/v1/.well-known/openidconfiguration",
)
TEAMS_TOKEN_URL = env_str(
    "HOTWASH_TEAMS_TOKEN_URL", "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
)
# The channel whose threads are the incidents' conversations, and the
# Bot Connector address to create them with until an activity told it
# (Teams' global service address by default).
TEAMS_INCIDENT_CHANNEL_ID = env_str("HOTWASH_TEAMS_INCIDENT_CHANNEL_ID", "")
TEAMS_PRIVATE_CHANNEL_ID = env_str("HOTWASH_TEAMS_PRIVATE_CHANNEL_ID", "")
TEAMS_SERVICE_URL = env_str("HOTWASH_TEAMS_SERVICE_URL", "https://smba.trafficmanager.net/teams/")
# Seconds before the Bot Connector, the token endpoint or a workflow
# webhook that does not answer is given up (and the delivery retried).
TEAMS_TIMEOUT = env_seconds("HOTWASH_TEAMS_TIMEOUT", 10.0, minimum=1.0)
for _name, _url in (
    ("HOTWASH_TEAMS_OPENID_URL", TEAMS_OPENID_URL),
    ("HOTWASH_TEAMS_TOKEN_URL", TEAMS_TOKEN_URL),
    ("HOTWASH_TEAMS_SERVICE_URL", TEAMS_SERVICE_URL),
):
    if not _url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{_name} must be an http(s):// address; got {_url!r}")

# --- Outbound connections (hotwash/core/outbound.py, core/crypto.py) --------
# Webhook receivers and tracker APIs are addresses an admin types in. In
# production mode Hotwash refuses to connect to loopback, link-local, private
# and other non-public addresses, unless listed here: host names and CIDR
# ranges (or single addresses), comma-separated.
OUTBOUND_ALLOW = env_list("HOTWASH_OUTBOUND_ALLOW", [])
for _entry in OUTBOUND_ALLOW:
    if "/" in _entry:
        try:
            ipaddress.ip_network(_entry, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"HOTWASH_OUTBOUND_ALLOW lists {_entry!r}, which is not a CIDR range "
                "(for example 10.20.0.0/16)."
            ) from None
# The key webhook signing secrets are encrypted with in the database; when
# empty, one derived from SECRET_KEY (so changing that makes them unreadable).
ENCRYPTION_KEY = env_str("HOTWASH_ENCRYPTION_KEY", "")
if ENCRYPTION_KEY and len(ENCRYPTION_KEY) < 32:
    raise ConfigurationError(
        "HOTWASH_ENCRYPTION_KEY must be at least 32 characters (for example: python -c "
        "'import secrets; print(secrets.token_urlsafe(48))')."
    )

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Security headers -------------------------------------------------------
# Content-Security-Policy on every page (django-csp): scripts, styles, images
# and fonts from Hotwash itself only, no inline script or style anywhere,
# requests (live updates, the editor's saves) to Hotwash only, never framed.
# Pages keep to it: a browser test watches for violations (test_browser.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}
# Strict-Transport-Security, once the site is served over HTTPS only: a
# browser that has seen it refuses plain HTTP to this host for that long.
# Django sends it on HTTPS requests only; behind a TLS proxy, name the header
# through which the proxy says so (HOTWASH_FORWARDED_PROTO_HEADER).
SECURE_HSTS_SECONDS = env_int("HOTWASH_HSTS_SECONDS", 0, minimum=0)
# includeSubDomains and preload commit every subdomain to HTTPS as well, and
# preload lets the domain be listed in browsers' own lists: set them when
# that is true of the whole domain (`hotwash check --deploy` asks for both).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HOTWASH_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HOTWASH_HSTS_PRELOAD", False)
# Plain HTTP answered with a redirect to HTTPS. Behind a TLS proxy, only with
# HOTWASH_FORWARDED_PROTO_HEADER (otherwise every request looks like plain
# HTTP and redirects forever). Probes on the container's own port (health,
# readiness, metrics) are answered as they come.
SECURE_SSL_REDIRECT = env_bool("HOTWASH_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
if _forwarded_proto_header := env_str("HOTWASH_FORWARDED_PROTO_HEADER", "").strip():
    # Only when every request comes through a proxy that sets this header
    # (e.g. X-Forwarded-Proto: https), overwriting any sent by the client.
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _forwarded_proto_header.upper().replace("-", "_"),
        "https",
    )
# Static files are served through Django (WhiteNoise) so they carry the same
# headers; from the collected folder and straight from the apps, so any way of
# running Hotwash has its CSS and JavaScript.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MAX_AGE = 86400  # as long as granian's static route kept them

# --- Logs (hotwash/core/logging.py, core/request_id.py) ----------------------
# To standard error: readable text, or one JSON object per line for a log
# collector. INFO adds one line per request (the `hotwash.request` logger:
# method, path, route, status, duration, user and request id).
LOG_FORMAT = env_choice("HOTWASH_LOG_FORMAT", "text", LOG_FORMATS)
LOG_LEVEL = env_choice("HOTWASH_LOG_LEVEL", "WARNING", LOG_LEVELS)
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
