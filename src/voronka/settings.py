"""Settings, read from the environment (12-factor).

Every setting a deployment may change is an environment variable documented in
docs/configuration.md; the defaults run a local install on SQLite under ./var/.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("VORONKA_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def _env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", default=False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")
if _env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "voronka.accounts",
    "voronka.crm",
    "voronka.activities",
    "voronka.messaging",
    "voronka.intake",
    "voronka.automation",
    "voronka.web_activities",
    "voronka.web_intake",
    "voronka.web_automation",
    "voronka.analytics",
    "voronka.web_analytics",
    "voronka.imports",
    "voronka.web_imports",
    "voronka.web",
    "voronka.webhooks",
    "voronka.api",
    "voronka.b24",
    "voronka.cli",
]

MIDDLEWARE = [
    # No connection health check (PostgreSQL: a round trip) for a connection used a moment ago.
    "voronka.lib.connections.RecentConnectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, CSRF, the signed-in user, messages and htmx serve the web UI only: the JSON API
    # (token-authenticated) skips them (voronka.lib.middleware).
    "voronka.lib.middleware.WebSessionMiddleware",
    # The configuration stamp (crm.config_cache) is read once per request.
    "voronka.crm.config_cache.ConfigStampMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "voronka.lib.middleware.WebCsrfViewMiddleware",
    "voronka.lib.middleware.WebAuthenticationMiddleware",
    "voronka.lib.middleware.WebMessageMiddleware",
    "voronka.lib.middleware.WebHtmxMiddleware",
    "voronka.web.middleware.UserLanguageMiddleware",
    "voronka.web.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "voronka.urls"
WSGI_APPLICATION = "voronka.wsgi.application"
ASGI_APPLICATION = "voronka.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'voronka.sqlite3'}"
# Connections are kept between requests (both databases): a new SQLite connection costs ~3 ms
# of PRAGMAs, schema parsing and a cold page cache, a new PostgreSQL one a backend start. Each
# thread has its own connection; Django closes it after a request that left it broken, and the
# development and test servers close theirs when a request's thread ends.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with write transactions queued in the kernel (voronka/lib/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "voronka.lib.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; "
            f"PRAGMA mmap_size={_env_int('SQLITE_MMAP_SIZE', 1 << 31)};"
        ),
    }
    # In memory unless named (":memory:" said outright: tools that know SQLite by its ENGINE
    # name, as pytest-django does, would otherwise take the file's name for a test database's).
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("VORONKA_TEST_SQLITE") or ":memory:"}
# PostgreSQL keeps the plans of the statements every API request runs (voronka.lib.statements);
# off for a connection pooler in transaction mode that cannot follow prepared statements.
VORONKA_PREPARED_STATEMENTS = _env_bool("PREPARED_STATEMENTS", default=True)
# A kept connection that ended a request less than this many seconds ago is not health-checked
# again (voronka.lib.connections; 0: checked before every request, as Django does).
VORONKA_HEALTH_CHECK_AFTER = 1.0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise RuntimeError(f"LANGUAGE_CODE must be one of en, ru (got {LANGUAGE_CODE!r})")
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS: list[Path] = []

# --- CRM ------------------------------------------------------------------------------------
DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "RU").upper()
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "RUB").upper()

# --- E-mail and SMS out ----------------------------------------------------------------------
# The address tracking pixels, click redirects and e-mailed links point to.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# One URL: smtp://user:pass@host:587?tls=1, smtp://host:465?ssl=1, console://, memory://, dummy://
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
_email = dj_email_url.parse(EMAIL_URL)
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme in {EMAIL_URL.split(':', 1)[0]!r}")
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and _email["EMAIL_TIMEOUT"] is None:
    _email["EMAIL_TIMEOUT"] = 30  # a hung server must not hold a worker forever
globals().update({key: value for key, value in _email.items() if value is not None})
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or _email.get(
    "DEFAULT_FROM_EMAIL", "Voronka <crm@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long a claimed outgoing message may stay "sending" before the worker's housekeeping
# looks at it again (seconds; see voronka/messaging/README.md).
MESSAGING_SEND_LEASE = int(os.environ.get("MESSAGING_SEND_LEASE", "600"))
# How often `voronka worker` runs the apps' housekeeping jobs (seconds).
HOUSEKEEPING_INTERVAL = float(os.environ.get("HOUSEKEEPING_INTERVAL", "30"))
# SMS: "console" (development) or "http" (a generic HTTP gateway configured by SMS_HTTP_*).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
SMS_HTTP = {
    "URL": os.environ.get("SMS_HTTP_URL", ""),
    "METHOD": os.environ.get("SMS_HTTP_METHOD", "POST").upper(),
    "BODY": os.environ.get("SMS_HTTP_BODY", ""),
    "CONTENT_TYPE": os.environ.get("SMS_HTTP_CONTENT_TYPE", "application/x-www-form-urlencoded"),
    "USER": os.environ.get("SMS_HTTP_USER", ""),
    "PASSWORD": os.environ.get("SMS_HTTP_PASSWORD", ""),
    "TOKEN": os.environ.get("SMS_HTTP_TOKEN", ""),
    "SUCCESS": os.environ.get("SMS_HTTP_SUCCESS", r"."),
    "SENDER": os.environ.get("SMS_SENDER", ""),
    "TIMEOUT": int(os.environ.get("SMS_HTTP_TIMEOUT", "15")),
}

# --- Web UI ---------------------------------------------------------------------------------
# Failed sign-ins for one login from one address before it is locked, and for how long.
SIGNIN_MAX_FAILURES = int(os.environ.get("SIGNIN_MAX_FAILURES", "5"))
SIGNIN_LOCK_MINUTES = int(os.environ.get("SIGNIN_LOCK_MINUTES", "15"))
# How long a web process keeps the totals of a board's won / lost columns (0: count every time).
BOARD_CLOSED_TOTALS_SECONDS = int(os.environ.get("BOARD_CLOSED_TOTALS_SECONDS", "60"))

# --- Intake channels (docs/intake.md) ---------------------------------------------------------
# The Telegram Bot API base URL (a local Bot API server, or a fake one in tests).
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# Behind a reverse proxy, the form rate limit counts the client from X-Forwarded-For.
INTAKE_TRUST_X_FORWARDED_FOR = _env_bool("INTAKE_TRUST_X_FORWARDED_FOR", default=False)
# The largest message `voronka mail-server` accepts (bytes).
INTAKE_MAIL_MAX_SIZE = int(os.environ.get("INTAKE_MAIL_MAX_SIZE", str(25 * 1024 * 1024)))
# --- JSON API and outbound webhooks ----------------------------------------------------------
# Requests per token per window ("3000/min", "50/s", "100000/h"); counted in the database, so
# every web process shares one count, each claiming blocks of 0.1 % of it (docs/api.md, "Rate limit").
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "3000/min")
# Idempotency keys are kept this many hours, then a retry counts as a new request.
API_IDEMPOTENCY_HOURS = int(os.environ.get("API_IDEMPOTENCY_HOURS", "24"))
# Deliver to private, loopback and link-local addresses (a receiver on the same machine or LAN).
WEBHOOKS_ALLOW_PRIVATE = _env_bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("WEBHOOKS_MAX_ATTEMPTS", "8"))
# The first retry waits this long; each next one twice as long (capped at six hours).
WEBHOOKS_RETRY_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_SECONDS", "30"))
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "10"))
# Bitrix24 dialect (/rest/): a leaky bucket per webhook, "burst/drain per second" (0 = off).
B24_RATE_LIMIT = os.environ.get("B24_RATE_LIMIT", "250/25")
# Report Bitrix24 cloud's time.operating / operating_reset_at (off, as on a self-hosted portal).
B24_OPERATING_TIME = _env_bool("B24_OPERATING_TIME", default=False)

# --- Automation (docs/automation.md) ----------------------------------------------------------
# Working hours for robot delays "counted in working hours": days and hours in TIME_ZONE.
AUTOMATION_WORKING_HOURS = os.environ.get("AUTOMATION_WORKING_HOURS", "mon-fri 09:00-18:00")
# A due robot run whose task has not finished after this many seconds is queued again by the
# worker's housekeeping (a killed worker's run; the run's claim makes the second task harmless).
AUTOMATION_RUN_LEASE = float(os.environ.get("AUTOMATION_RUN_LEASE", "300"))
# Seconds the automation clock runs ahead of real time (tests and demonstrations; 0 in production).
VORONKA_CLOCK_OFFSET = float(os.environ.get("VORONKA_CLOCK_OFFSET", "0"))

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, cache-busting names; served by WhiteNoise from gunicorn (nginx or a CDN at scale).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded import files and error reports hold clients' personal data: kept outside MEDIA_ROOT
# (which a web server may publish), served only through the import views.
IMPORTS_DIR = Path(os.environ.get("IMPORTS_DIR", VAR_DIR / "imports"))

# --- Background work ------------------------------------------------------------------------
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db")
if TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
