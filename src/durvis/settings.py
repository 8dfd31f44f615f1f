"""Durvis settings: one module, configured from environment variables (twelve-factor).

`DURVIS_ENV=production` switches to production rules: a real secret key is required and the
demo features (demo data, demo identity provider, local mailbox) refuse to start.
"""

import base64
import binascii
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_SECRET = "durvis-insecure-development-key-change-me"  # noqa: S105 - refused in production

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DURVIS_ENV = env.str("DURVIS_ENV", default="development")
PRODUCTION = DURVIS_ENV == "production"

# Off unless asked for (DEBUG=true): demo mode is not debug mode, and shows the site's own error pages.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEFAULT_SECRET)
DEMO_MODE = env.bool("DURVIS_DEMO", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "durvis.core.views.csrf_failure"

if PRODUCTION:
    if SECRET_KEY == DEFAULT_SECRET or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        # Django's own deployment check (security.W009) asks the same.
        raise ImproperlyConfigured("Production needs SECRET_KEY: at least 50 random characters.")
    if DEMO_MODE:
        raise ImproperlyConfigured("Demo features cannot be enabled in production (DURVIS_DEMO).")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG cannot be enabled in production.")

INSTALLED_APPS = [
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "ninja",  # serves its bundled Swagger UI for /api/v1/docs (never a CDN)
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "durvis.core",
    "durvis.access",
    "durvis.audit",
    "durvis.identity",
    "durvis.search",
    "durvis.addresses",
    "durvis.catalog",
    "durvis.servicepoints",
    "durvis.register",
    "durvis.calendars",
    "durvis.mandates",
    "durvis.workflows",
    "durvis.knowledge",
    "durvis.integrations",
    "durvis.messaging",
    "durvis.documents",
    "durvis.payments",
    "durvis.eforms",
    "durvis.eaccount",
    "durvis.administration",
    "durvis.demo",
]

MIDDLEWARE = [
    "durvis.core.middleware.ClientAddressMiddleware",
    "durvis.core.middleware.RequestMemoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "durvis.core.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "durvis.core.headers.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "durvis.core.middleware.ApiLanguageMiddleware",
    "durvis.core.middleware.ApiErrorBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "durvis.identity.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "durvis.core.middleware.MethodNotAllowedPageMiddleware",
    # Last: turns a sign-in that axes locked out into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "durvis.urls"
WSGI_APPLICATION = "durvis.wsgi.application"
ASGI_APPLICATION = "durvis.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "durvis" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "durvis.core.context_processors.platform",
                "durvis.eaccount.context_processors.client",
                "durvis.administration.navigation.header",
            ],
        },
    },
]

VAR_DIR = Path(env.str("DURVIS_VAR_DIR", default=str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'durvis.sqlite3'}")}
# SQLite allows one writer at a time. Used as a server's database: WAL lets readers go on while
# one writes; every transaction starts IMMEDIATE (it takes the write lock at BEGIN, so it never
# fails half-way trying to upgrade a read lock); and a writer waits for the lock up to
# DURVIS_SQLITE_TIMEOUT seconds before "database is locked" (5 s was too short: 20 batch requests
# in flight queue longer than that). A server in front (gunicorn) must wait longer still.
DURVIS_SQLITE_TIMEOUT = env.float("DURVIS_SQLITE_TIMEOUT", default=60.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while pages read; IMMEDIATE avoids lock upgrades mid-transaction;
    # a writer waits up to DURVIS_SQLITE_TIMEOUT seconds for another (a `load_demo --reset` while
    # `make run` serves) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        f"PRAGMA busy_timeout={int(DURVIS_SQLITE_TIMEOUT * 1000)};",
        "transaction_mode": "IMMEDIATE",
        "timeout": DURVIS_SQLITE_TIMEOUT,
    }
    # A file, not memory, so that a worker process started by a test sees the test's data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters let psycopg prepare a statement after a few runs, so PostgreSQL
    # plans the register's multi-join reads once per connection instead of on every request
    # (planning was 90% of a case lookup). Behind a transaction-pooling PgBouncer, turn it off
    # with DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 3})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The worker (`manage.py run_worker`, durvis.core.worker): its scheduler runs every
# DURVIS_SCHEDULER_INTERVAL seconds (wakes the worker for anything due, recovers dead workers); a
# worker not seen for DURVIS_WORKER_DEAD_AFTER seconds is dead (on its own host, as soon as its
# process is gone); a task left running by something else than a registered worker is failed
# after DURVIS_WORKER_LOST_AFTER seconds. The worker looks for a task every
# DURVIS_WORKER_POLL_SECONDS, and one round runs at most DURVIS_WORKER_ROUND_SECONDS before it
# hands over to the next. `make run` restarts a worker that died after
# DURVIS_WORKER_RESTART_DELAY seconds, doubling to DURVIS_WORKER_RESTART_MAX_DELAY.
DURVIS_SCHEDULER_INTERVAL = env.float("DURVIS_SCHEDULER_INTERVAL", default=5.0)
# E-form applications (A10): a draft not saved for DURVIS_DRAFT_DAYS expires; one reminder goes
# DURVIS_DRAFT_REMIND_DAYS before.
DURVIS_DRAFT_DAYS = env.int("DURVIS_DRAFT_DAYS", default=30)
DURVIS_DRAFT_REMIND_DAYS = env.int("DURVIS_DRAFT_REMIND_DAYS", default=3)
# Invoices (A8): due DURVIS_INVOICE_DUE_DAYS after issue; a reminder DURVIS_INVOICE_REMIND_DAYS
# before the due date, and one when it is overdue. An online payment not completed within
# DURVIS_PAYMENT_EXPIRY_MINUTES expires.
DURVIS_INVOICE_DUE_DAYS = env.int("DURVIS_INVOICE_DUE_DAYS", default=14)
DURVIS_INVOICE_REMIND_DAYS = env.int("DURVIS_INVOICE_REMIND_DAYS", default=3)
# Catalogue (A1, A13): the institution whose editors are the catalogue's central editors (they
# keep the search's synonyms); the platform's operator.
DURVIS_CATALOG_CENTRAL_INSTITUTION = env.str("DURVIS_CATALOG_CENTRAL_INSTITUTION", default="VDAA")
# Knowledge base (B6): the institution whose knowledge editors review and publish every article.
DURVIS_KNOWLEDGE_CENTRAL_INSTITUTION = env.str("DURVIS_KNOWLEDGE_CENTRAL_INSTITUTION",
                                               default="VDAA")
DURVIS_PAYMENT_EXPIRY_MINUTES = env.int("DURVIS_PAYMENT_EXPIRY_MINUTES", default=30)
# Online payments (A8, durvis.payments.providers): the base URL of each payment provider's API by
# provider key (`gateway`: the redirect + signed-callback protocol; in demo mode the payment
# simulator `make run` starts on DURVIS_PAYSIM_PORT). A started payment whose callback did not
# come is asked about every DURVIS_PAYMENT_POLL_SECONDS; a callback's timestamp may be
# DURVIS_PAYMENT_CALLBACK_TOLERANCE seconds off.
DURVIS_PAYSIM_PORT = env.int("DURVIS_PAYSIM_PORT", default=8010)
DURVIS_PAYMENT_PROVIDER_URLS = {
    "gateway": env.str("DURVIS_PAYMENT_GATEWAY_URL",
                       default=f"http://127.0.0.1:{DURVIS_PAYSIM_PORT}" if DEMO_MODE else ""),
}
DURVIS_PAYMENT_POLL_SECONDS = env.int("DURVIS_PAYMENT_POLL_SECONDS", default=120)
DURVIS_PAYMENT_CALLBACK_TOLERANCE = env.int("DURVIS_PAYMENT_CALLBACK_TOLERANCE", default=300)
DURVIS_WORKER_DEAD_AFTER = env.float("DURVIS_WORKER_DEAD_AFTER", default=30.0)
DURVIS_WORKER_LOST_AFTER = env.float("DURVIS_WORKER_LOST_AFTER", default=3600.0)
DURVIS_WORKER_POLL_SECONDS = env.float("DURVIS_WORKER_POLL_SECONDS", default=1.0)
DURVIS_WORKER_ROUND_SECONDS = env.float("DURVIS_WORKER_ROUND_SECONDS", default=60.0)
DURVIS_WORKER_RESTART_DELAY = env.float("DURVIS_WORKER_RESTART_DELAY", default=1.0)
DURVIS_WORKER_RESTART_MAX_DELAY = env.float("DURVIS_WORKER_RESTART_MAX_DELAY", default=60.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff-login"
LOGIN_REDIRECT_URL = "administration:home"
LOGOUT_REDIRECT_URL = "staff-login"
# Staff sign in with a password and then a code from an authenticator app (A12); see
# `administration/signin.py`. axes checks every password first and counts every failure of either
# step, per user name and address: the fifth within the cool-off locks that pair out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many proxies (load balancers) of ours stand before the web processes: the client's
# address is then taken from X-Forwarded-For (durvis.core.middleware.ClientAddressMiddleware).
DURVIS_TRUSTED_PROXY_COUNT = env.int("DURVIS_TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "durvis.administration.signin.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
OTP_TOTP_ISSUER = "Durvis"
# No back-off per TOTP device: whoever has the password could lock the real user out of their
# codes with it. Wrong codes count with axes per user name and address instead, and with the
# ceiling per account (administration/signin.py, OWASP ASVS 2.2.1).
OTP_TOTP_THROTTLE_FACTOR = 0
AXES_ENABLE_ACCESS_FAILURE_LOG = True
DURVIS_SIGNIN_ACCOUNT_CEILING = env.int("DURVIS_SIGNIN_ACCOUNT_CEILING", default=100)
# A session lasts at most SESSION_COOKIE_AGE after sign-in (8 h) and ends after
# DURVIS_STAFF_IDLE_MINUTES without a request, or when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
DURVIS_STAFF_IDLE_MINUTES = env.int("DURVIS_STAFF_IDLE_MINUTES", default=30)
# A client's e-account session ends after this many idle minutes (like an internet bank's).
DURVIS_CLIENT_IDLE_MINUTES = env.int("DURVIS_CLIENT_IDLE_MINUTES", default=15)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only in production: the redirect (the load balancer's health check excepted), HSTS for a
# year on every subdomain, and the scheme the trusted proxies say the client used.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
if DURVIS_TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy on every page (django-csp): the platform's own scripts, styles, fonts
# and images only, no inline script or style, no plug-ins, framed by nobody (the embeddable
# search widens frame-ancestors for itself).
# The service points' map (A1): the tiles a deployment configures, an XYZ template such as
# "https://tiles.example.lv/{z}/{x}/{y}.png" (and the attribution its licence asks for); without
# it no map is drawn and the list of points stands alone. Its origin joins img-src.
DURVIS_MAP_TILES_URL = env.str("DURVIS_MAP_TILES_URL", default="")
DURVIS_MAP_ATTRIBUTION = env.str("DURVIS_MAP_ATTRIBUTION", default="")
_TILE_ORIGIN = ("/".join(DURVIS_MAP_TILES_URL.split("/")[:3])
                if DURVIS_MAP_TILES_URL.startswith(("https://", "http://")) else "")
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF],
    "img-src": [SELF, "data:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
    "font-src": [SELF], "connect-src": [SELF], "object-src": [NONE], "base-uri": [SELF],
    "frame-ancestors": [NONE],
}}

LANGUAGE_CODE = "lv"
LANGUAGES = [("lv", _("Latvian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "src" / "durvis" / "locale"]
TIME_ZONE = "Europe/Riga"
# Dates, times and numbers in each language's European form (day first, 24-hour time):
# durvis/core/formats/{lv,en}/formats.py; money through the `money` filter (core/templatetags).
FORMAT_MODULE_PATH = ["durvis.core.formats"]
USE_I18N = True
USE_TZ = True
MODELTRANSLATION_DEFAULT_LANGUAGE = "lv"
MODELTRANSLATION_LANGUAGES = ("lv", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("lv",), "lv": ("en",)}

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "src" / "durvis" / "static",
    BASE_DIR / "build" / "static",  # durvis.css, compiled by `make` from src/durvis/assets
    ("vendor/govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),  # the service points' map
]
# Uploaded files (documents, C2) are never served by address: only the download view, after the
# access policy, sends them. MEDIA_URL exists for the storage API, no route serves it.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Register adapters (identity): a key of the adapter registries in durvis.identity.registers
# (`local`) or the dotted path of an adapter class; production names the PMLP and UR adapters.
DURVIS_POPULATION_REGISTER = env.str("DURVIS_POPULATION_REGISTER", default="local")
DURVIS_ENTERPRISE_REGISTER = env.str("DURVIS_ENTERPRISE_REGISTER", default="local")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            # `time`: ISO 8601 in UTC with microseconds and its offset (2026-11-30T20:57:04.043+00:00),
            # so lines from machines in different time zones order and compare.
            "fmt": "%(levelname)s %(name)s %(message)s",
            "timestamp": "time",
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                  "datefmt": "%Y-%m-%dT%H:%M:%S%z"},
    },
    "filters": {"redact": {"()": "durvis.core.logging.RedactPersonalCodes"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The development server's access log (4xx and 5xx): through the redacting handler, not
        # Python's last-resort handler (Django's own handler for it is removed by this config).
        "django.server": {"level": "WARNING", "handlers": ["console"], "propagate": False},
        "django.request": {"level": "ERROR"},
    },
}
DURVIS_WEBHOOK_TIMEOUT = env.float("DURVIS_WEBHOOK_TIMEOUT", default=10.0)
# Webhooks to http:// and to loopback, private and link-local addresses (`integrations.addresses`):
# for demo mode and tests only, never in production.
# How long a holder's system's prefill link may be used (`durvis.eforms.prefill`).
DURVIS_PREFILL_MINUTES = env.int("DURVIS_PREFILL_MINUTES", default=15)
DURVIS_WEBHOOK_ALLOW_INTERNAL = env.bool("DURVIS_WEBHOOK_ALLOW_INTERNAL", default=DEMO_MODE)
if PRODUCTION and DURVIS_WEBHOOK_ALLOW_INTERNAL:
    raise ImproperlyConfigured("Webhooks to internal addresses cannot be allowed in production "
                               "(DURVIS_WEBHOOK_ALLOW_INTERNAL).")

# Notifications (C1). E-mail: SMTP in production; in demo mode a local mailbox folder.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=("django.core.mail.backends.filebased.EmailBackend" if DEMO_MODE
             else "django.core.mail.backends.smtp.EmailBackend"),
)
EMAIL_FILE_PATH = VAR_DIR / "mailbox"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Durvis <noreply@durvis.example.lv>")
# SMS through an HTTP gateway (`integrations.sms`); without a URL, SMS are not offered.
DURVIS_SMS_GATEWAY_URL = env.str("DURVIS_SMS_GATEWAY_URL", default="")
DURVIS_SMS_GATEWAY_KEY = env.str("DURVIS_SMS_GATEWAY_KEY", default="")
DURVIS_SMS_SENDER = env.str("DURVIS_SMS_SENDER", default="Durvis")
# How far in the future a time sent to the register may lie (the senders' clocks are not ours).
DURVIS_CLOCK_SKEW_SECONDS = env.int("DURVIS_CLOCK_SKEW_SECONDS", default=300)
# Where notifications point the client; by default this machine at the port `make run` serves
# (PORT). The demo sign-in does not depend on it: it follows the address the browser used.
DURVIS_PUBLIC_URL = env.str("DURVIS_PUBLIC_URL",
                            default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# Documents (C2): the largest file a client or an institution may store, and the malware scanner
# every file passes (`eicar`, `clamav` which asks clamd, or the dotted path of a callable).
DURVIS_DOCUMENT_MAX_BYTES = env.int("DURVIS_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# All the attachments of one message sent through the API, decoded, in bytes.
DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES = env.int("DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES",
                                               default=20 * 1024 * 1024)
# The largest request body (files of a multipart upload aside), in bytes: every body whose fields
# are within the API schema's limits fits (a batch of 1,000 events at their longest, a message
# with its attachments at their largest; `tests/test_body_limits.py` checks it), and anything
# larger is a 413 with the limit.
DURVIS_MAX_BODY_BYTES = env.int("DURVIS_MAX_BODY_BYTES", default=32 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DURVIS_MAX_BODY_BYTES
DURVIS_MALWARE_SCANNER = env.str("DURVIS_MALWARE_SCANNER", default="eicar")
# What an archive (DOCX, ODT, eDoc) may unpack to, all its parts and the archives inside them
# together, in bytes; and how many times its packed size a part over 1 MB may unpack to (a zip
# bomb unpacks to about a thousand times). clamd's StreamMaxLength must allow the first.
DURVIS_ARCHIVE_MAX_UNPACKED_BYTES = env.int("DURVIS_ARCHIVE_MAX_UNPACKED_BYTES",
                                            default=100 * 1024 * 1024)
DURVIS_ARCHIVE_MAX_RATIO = env.int("DURVIS_ARCHIVE_MAX_RATIO", default=100)
DURVIS_CLAMD_ADDRESS = env.str("DURVIS_CLAMD_ADDRESS", default="127.0.0.1:3310")
DURVIS_CLAMD_TIMEOUT = env.float("DURVIS_CLAMD_TIMEOUT", default=30.0)

# Client sign-in (A12): the national sign-in by OpenID Connect (`identity/oidc.py`) or SAML 2.0
# (`identity/saml.py`). In demo mode, without a discovery URL and a secret, OIDC goes to the demo
# identity provider of the `demo` app on this server (at the address the browser used); it
# answers only in demo mode, which production refuses, so production must name the real provider.
DURVIS_SIGNIN_PROTOCOL = env.str("DURVIS_SIGNIN_PROTOCOL", default="oidc")
DURVIS_OIDC_DISCOVERY_URL = env.str("DURVIS_OIDC_DISCOVERY_URL", default="")
DURVIS_OIDC_CLIENT_ID = env.str("DURVIS_OIDC_CLIENT_ID", default="durvis")
DURVIS_OIDC_CLIENT_SECRET = env.str("DURVIS_OIDC_CLIENT_SECRET", default="")
DURVIS_OIDC_SCOPE = env.str("DURVIS_OIDC_SCOPE", default="openid profile")
# The platform's signing keys (EC P-256 PEM files, comma-separated, the current first) for the
# single sign-on hand-off tokens to holders' e-services (`durvis.core.signing_keys`); generated
# into DURVIS_VAR_DIR outside production when not set; production requires them.
DURVIS_SIGNING_KEY_FILES = env.str("DURVIS_SIGNING_KEY_FILES", default="")
# How long a hand-off token is valid, in seconds.
DURVIS_HANDOFF_TOKEN_SECONDS = env.int("DURVIS_HANDOFF_TOKEN_SECONDS", default=120)
DURVIS_SAML_IDP_METADATA = env.str("DURVIS_SAML_IDP_METADATA", default="")  # a file or a URL
DURVIS_SAML_SP_KEY_FILE = env.str("DURVIS_SAML_SP_KEY_FILE", default="")
DURVIS_SAML_SP_CERT_FILE = env.str("DURVIS_SAML_SP_CERT_FILE", default="")
if DURVIS_SIGNIN_PROTOCOL not in ("oidc", "saml"):
    raise ImproperlyConfigured("DURVIS_SIGNIN_PROTOCOL is oidc or saml.")
# Production refuses to start without the real provider: see the sign-in methods' checks
# (durvis.identity.signin_views.SIGN_IN_METHODS), run by durvis.core.checks at start-up.

# The activity log (B5; docs/architecture.md, "The activity log"). Rows are hashed with an HMAC
# key kept outside the database: DURVIS_AUDIT_KEYS (or the file DURVIS_AUDIT_KEYS_FILE) lists
# `id:base64-secret` pairs, comma- or line-separated, the current key first; older keys stay
# listed for as long as their rows must verify. Without either, a development key that
# production refuses (durvis.core.checks). Every DURVIS_AUDIT_CHECKPOINT_SECONDS the worker
# writes each chain's head, signed, to the `audit_checkpoints` storage: by default a folder under
# DURVIS_VAR_DIR, or any Django storage (DURVIS_AUDIT_CHECKPOINT_STORAGE, with its options as
# JSON in DURVIS_AUDIT_CHECKPOINT_OPTIONS), ideally one this platform can add to but not change.
DURVIS_AUDIT_DEVELOPMENT_KEY = "dev:H7U6IFECqmrNnW0Tl2P303VO1tJJe6tQKyeKl0dYTJg="  # refused in production


def _audit_keys(text: str, name: str = "DURVIS_AUDIT_KEYS") -> dict[str, bytes]:
    """`id:base64-secret` pairs, comma- or line-separated, in their order (the current first);
    `name` is the setting they come from, which an error names."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.replace("\n", ",").split(","))):
        key_id, _, secret = item.partition(":")
        try:
            value = base64.b64decode(secret, validate=True)
        except binascii.Error:
            value = b""
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,20}", key_id) or key_id in keys or len(value) < 32:
            raise ImproperlyConfigured(
                f"{name}: {key_id!r} needs an id of at most 20 letters, digits, '_', "
                "'.' or '-', listed once, and a base64 secret of 32 bytes or more.")
        keys[key_id] = value
    if not keys:
        raise ImproperlyConfigured(f"{name} lists no key.")
    return keys


# Secrets the platform gives back to other systems (a CalDAV calendar's password) are sealed
# with DURVIS_SECRET_KEYS (or the file DURVIS_SECRET_KEYS_FILE): `id:base64-secret` pairs of 32
# bytes, the current key first (`durvis.core.sealed`). Without either, a development key that
# production refuses (durvis.core.checks).
DURVIS_SECRET_DEVELOPMENT_KEY = "dev:q2Jm7xv0cLq5mV9VYV3Qb4m0oQm1zO9oF1Xh6T0dYbA="  # noqa: S105 - refused in production
_secret_keys_file = env.str("DURVIS_SECRET_KEYS_FILE", default="")
DURVIS_SECRET_KEYS = {
    key_id: value[:32] for key_id, value in _audit_keys(
        Path(_secret_keys_file).read_text() if _secret_keys_file
        else env.str("DURVIS_SECRET_KEYS", default=DURVIS_SECRET_DEVELOPMENT_KEY),
        "DURVIS_SECRET_KEYS_FILE" if _secret_keys_file else "DURVIS_SECRET_KEYS").items()}

_audit_keys_file = env.str("DURVIS_AUDIT_KEYS_FILE", default="")
DURVIS_AUDIT_KEYS = _audit_keys(
    Path(_audit_keys_file).read_text() if _audit_keys_file
    else env.str("DURVIS_AUDIT_KEYS", default=DURVIS_AUDIT_DEVELOPMENT_KEY),
    "DURVIS_AUDIT_KEYS_FILE" if _audit_keys_file else "DURVIS_AUDIT_KEYS")
DURVIS_AUDIT_CHECKPOINT_SECONDS = env.int("DURVIS_AUDIT_CHECKPOINT_SECONDS", default=300)
STORAGES["audit_checkpoints"] = {
    "BACKEND": env.str("DURVIS_AUDIT_CHECKPOINT_STORAGE",
                       default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": env.json("DURVIS_AUDIT_CHECKPOINT_OPTIONS",
                        default={"location": str(VAR_DIR / "audit-checkpoints"),
                                 "file_permissions_mode": 0o440}),
}
