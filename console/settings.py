"""Settings of the Incident Command Console, read from environment variables.

Every variable is documented in docs/configuration.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from console.env import env_bool, env_choice, env_int, env_list, env_networks, env_pairs, env_str
from kit import logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CONSOLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The demo (make run) relaxes what only makes sense behind TLS.
DEMO = env_bool("DEMO", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG or DEMO is on")
    SECRET_KEY = "demo-only-insecure-key-never-use-in-production"  # noqa: S105  demo-only key, refused outside DEBUG/DEMO
# Earlier keys, during a rotation: what they signed (sessions, subscriber links, feedback
# links) still verifies; only SECRET_KEY signs. docs/deploy.md, "Key rotation".
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
STATUS_PAGE_NAME = env_str("STATUS_PAGE_NAME", "Incident Command Console")
# Customer e-mail subscriptions of /status/public/ (publicstatus, docs/statuspage.md).
STATUS_SUBSCRIBE_CONFIRM_HOURS = env_int("STATUS_SUBSCRIBE_CONFIRM_HOURS", 48, minimum=1)
STATUS_SIGNUP_LIMIT_PER_CLIENT = env_int("STATUS_SIGNUP_LIMIT_PER_CLIENT", 10, minimum=1)
STATUS_SIGNUP_LIMIT_PER_EMAIL = env_int("STATUS_SIGNUP_LIMIT_PER_EMAIL", 3, minimum=1)
# The status pages and /api/v2/ read their data version at most this often per process
# (kit/cache.py): a change shows within this time; 0 reads it on every request.
STATUS_VERSION_MAX_AGE = env_int("STATUS_VERSION_MAX_AGE_MS", 1000, minimum=0) / 1000

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console",
    "glossary",
    "incidents",
    "comms",
    "integrations",
    "learning",
    "regulatory",
    "publicstatus",
    "evidence",
    "api",
    "sso",
    "axes",
    "audit",
]

MIDDLEWARE = [
    # First: the request id (X-Request-ID), the `request` event and the request figures
    # of /metrics cover everything after it.
    "console.request_logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Knows the request for model-level audit hooks; records regulator reads.
    "audit.middleware.AuditMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authenticate() into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

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
                "console.context_processors.personas",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# Unset DATABASE_URL means the embedded demo: SQLite in var/.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'console.sqlite3'}"
try:
    _db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:  # unknown scheme and the like
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every write transaction take the write lock at BEGIN, so
    # concurrent appends to the decision log queue instead of failing midway.
    _db["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    _db["CONN_MAX_AGE"] = 0
    # A file, not memory, so Celery workers started by the tests can open it;
    # one per process (and xdist worker) so parallel runs never share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery -------------------------------------------------
# Unset REDIS_URL means the embedded Redis that `make run` / `make test` start
# on a unix socket in var/ (see console/embedded_redis.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
REDIS_URL = env_str("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}"
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "icc"),
        # JSON, not pickle: a value planted in Redis must never run code here (#10).
        "OPTIONS": {"serializer": "console.cache_serializer.JSONSerializer"},
    }
}

# kombu spells a unix socket redis+socket://
CELERY_BROKER_URL = (
    "redis+socket://" + REDIS_URL.removeprefix("unix://")
    if REDIS_URL.startswith("unix://")
    else REDIS_URL
)
# kombu turns a bare rediss:// into ssl_cert_reqs=CERT_NONE (no certificate check):
# ask for verification unless the URL says otherwise. redis-py (the cache) verifies by default.
if REDIS_URL.startswith("rediss://") and "ssl_cert_reqs=" not in REDIS_URL:
    CELERY_BROKER_URL += ("&" if "?" in REDIS_URL else "?") + "ssl_cert_reqs=required"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Deadlines and the outbox live in database rows; beat only ticks.
# 1 s: a thousand deadlines due at once are reminded within 5 s (make bench, Cadence).
CADENCE_TICK_SECONDS = env_int("CADENCE_TICK_SECONDS", 1, minimum=1)
# Reminders ahead of each regulatory deadline (regulatory/clocks.py): when this percentage of the
# window is left, and this many minutes before the deadline (on a drill's clock for drills).
REGULATORY_REMINDER_PERCENT_LEFT = env_int("REGULATORY_REMINDER_PERCENT_LEFT", 25, minimum=0)
REGULATORY_REMINDER_MINUTES_BEFORE = env_int("REGULATORY_REMINDER_MINUTES_BEFORE", 60, minimum=0)
DELIVERY_SWEEP_SECONDS = env_int("DELIVERY_SWEEP_SECONDS", 10, minimum=1)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8, minimum=1)
# Overdue action items: the owner is reminded when due, the incident commander after this grace.
ACTION_ITEM_ESCALATION_HOURS = env_int("ACTION_ITEM_ESCALATION_HOURS", 24, minimum=1)
# Alert intake: events per integration key per minute before 429.
INTEGRATION_RATE_LIMIT_PER_MINUTE = env_int("INTEGRATION_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# Grafana HMAC signatures with a timestamp header: how far that timestamp may be from our clock.
INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS = env_int(
    "INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS", 300, minimum=1
)
CELERY_BEAT_SCHEDULE: dict = {
    "cadence-tick": {
        "task": "comms.tasks.cadence_tick_task",
        "schedule": float(CADENCE_TICK_SECONDS),
    },
    "delivery-sweep": {
        "task": "comms.tasks.sweep_deliveries_task",
        "schedule": float(DELIVERY_SWEEP_SECONDS),
    },
    # Customer mail of the public status page: lost hand-overs, due retries, expired leases.
    "public-notice-sweep": {
        "task": "publicstatus.tasks.sweep_notices_task",
        "schedule": float(DELIVERY_SWEEP_SECONDS),
    },
    # Overdue action items and drill replay steps, on the cadence tick.
    "learning-tick": {
        "task": "learning.tasks.learning_tick_task",
        "schedule": float(CADENCE_TICK_SECONDS),
    },
    # Reminders and escalations of regulatory deadlines (regulatory/clocks.py), on the cadence tick.
    "regulatory-tick": {
        "task": "regulatory.tasks.regulatory_tick_task",
        "schedule": float(CADENCE_TICK_SECONDS),
    },
}

# --- Auth ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Security -----------------------------------------------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Load balancers' probes and Prometheus ask gunicorn directly, over plain HTTP on the
# internal network: a redirect to the public HTTPS name would fail them (docs/deploy.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
# Only sent with SECURE_HSTS_SECONDS > 0. Subdomains of the console's own host name are
# covered by default; preloading is a commitment browsers take months to forget, so opt-in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Scripts only from our own origin or with the per-request nonce; no CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Outbound calls --------------------------------------------------------
# Subscription targets are hostile input: no call to loopback, private, link-local
# (cloud metadata), shared, multicast or reserved addresses unless a range is opened
# here for an on-premises receiver. The demo opens loopback for `listen_webhooks`.
OUTBOUND_ALLOWED_NETWORKS = env_networks(
    "OUTBOUND_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEMO else []
)
# Apprise schemes a target may use: HTTPS-based services only (never irc://, json://,
# xml://, form://, which speak raw sockets or plain HTTP to any host).
APPRISE_ALLOWED_SCHEMES = [
    scheme.lower().removesuffix("://")
    for scheme in env_list(
        "APPRISE_ALLOWED_SCHEMES",
        ["discord", "msteams", "slack", "tgram", "mmosts", "ntfys", "gchat", "pover", "jsons"],
    )
]

# --- /metrics (Prometheus) -------------------------------------------------
# A scraper presents `Authorization: Bearer <METRICS_TOKEN>`, or scrapes from an
# address in METRICS_ALLOWED_NETWORKS (REMOTE_ADDR); anyone else gets a 403
# (console/prometheus.py, docs/operations.md). The demo opens loopback.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters (or unset)")
METRICS_ALLOWED_NETWORKS = env_networks(
    "METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEMO else []
)

# --- Login throttling ------------------------------------------------------
# Failed sign-ins are counted per account and per client address in the
# database (django-axes), so every web process sees the same count.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
# Minutes, an integer.
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15, minimum=1)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password check.
    "kit.throttling.ThrottleBackend",
    # Local passwords (off with PASSWORD_LOGIN=0 but for break-glass), then OpenID Connect.
    "sso.backends.PasswordBackend",
    "sso.backends.ConsoleOIDCBackend",
]
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_FAILURE_WINDOW)
# Two separate counters: one account from many addresses, one address over many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "kit.client.client_address"
AXES_LOCKOUT_CALLABLE = "kit.throttling.lockout_response"
AXES_RESET_ON_SUCCESS = False
# Its INFO lines would land on stdout (and in `issue_token`'s captured key); the audit trail records lockouts.
AXES_VERBOSE = False
# Keep the lockout's start: failures during a lockout do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# --- Single sign-on --------------------------------------------------------
# OpenID Connect through mozilla-django-oidc (sso/). Endpoints come from the issuer's
# discovery document unless given one by one; the group map is checked in sso/apps.py.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_JWKS_ENDPOINT")
OIDC_RP_SCOPES = " ".join(env_list("OIDC_SCOPES", ["openid", "email", "profile", "groups"]))
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_MAP = env_pairs("OIDC_GROUP_MAP")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
OIDC_RP_SIGN_ALGO = "RS256"  # asymmetric only: the client secret never verifies a token
OIDC_USE_PKCE = True
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED and not (OIDC_ISSUER and OIDC_RP_CLIENT_SECRET and OIDC_GROUP_MAP):
    raise ImproperlyConfigured(
        "OIDC_CLIENT_ID needs OIDC_ISSUER, OIDC_CLIENT_SECRET and OIDC_GROUP_MAP"
    )
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# PASSWORD_LOGIN=0: local passwords only for superusers at /admin/login/ (break-glass).
PASSWORD_LOGIN = env_bool("PASSWORD_LOGIN", True)
# The backends (throttling first, passwords, OpenID Connect): AUTHENTICATION_BACKENDS above.

# --- Decision-log checkpoints ----------------------------------------------
# Ed25519 private key (PEM) that signs log checkpoints; empty = no checkpoints
# ("unsigned"). Keep it outside the database and its backups (docs/decision-log.md).
LOG_SIGNING_KEY_FILE = env_str("LOG_SIGNING_KEY_FILE")
# Earlier public keys (base64, comma-separated) still trusted after a rotation.
LOG_TRUSTED_PUBLIC_KEYS = env_list("LOG_TRUSTED_PUBLIC_KEYS", [])
LOG_CHECKPOINT_SECONDS = env_int("LOG_CHECKPOINT_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE["log-checkpoints"] = {
    "task": "incidents.tasks.checkpoint_logs_task",
    "schedule": float(LOG_CHECKPOINT_SECONDS),
}

# --- Audit trail -----------------------------------------------------------
# (no settings: the audit trail is always on; see docs/security.md "The audit trail")

# --- I18N and time ----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only: the browsable API's inline scripts would break under our CSP;
    # /api/docs/ (self-hosted Swagger UI) is the interactive documentation.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # JSON only, depth- and size-bounded (kit/parsers.py): deep nesting is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": ["kit.parsers.BoundedJSONParser"],
}
# Deepest JSON nesting any endpoint parses (our own bodies need fewer than 10 levels).
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 64, minimum=8)
SPECTACULAR_SETTINGS = {
    "TITLE": "Incident Command Console API",
    "DESCRIPTION": "Incidents in production ML models: declare, decide, log, communicate.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: no CDN under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kit.openapi.require_bodies",
        # /healthz, /readyz and /metrics: plain Django views, written in by hand.
        "console.openapi_ops.add_operations_endpoints",
    ],
    # Enums whose field names other choice sets share (input subsets, integration payloads).
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "incidents.choices.Phase",
        "KindEnum": "incidents.choices.EntryKind",
        "SeverityEnum": "incidents.choices.Severity",
        "ChannelEnum": "comms.models.Channel",
        "EndpointChannelEnum": "api.subscriptions.serializers.ENDPOINT_CHANNEL_CHOICES",
        "AlertStatusEnum": "integrations.schema.ALERT_STATUS_CHOICES",
        "PagerDutySeverityEnum": "integrations.schema.PD_SEVERITY_CHOICES",
        "AudienceEnum": "incidents.choices.Audience",
        "ReviewStatusEnum": "learning.models.Review.Status",
        "ActionItemStatusEnum": "learning.models.ActionItem.Status",
        "ActionItemCategoryEnum": "learning.models.ActionItem.Category",
        "RootCauseEnum": "learning.models.RootCause",
        "ReviewAudienceEnum": "api.reviews.serializers.AUDIENCE_CHOICES",
        "RegulatoryReportStatusEnum": "regulatory.models.RegulatoryReport.Status",
        "ObligationStateEnum": "api.obligations.serializers.OBLIGATION_STATES",
        "ObligationOutcomeEnum": "regulatory.models.Obligation.Outcome",
        "MomentNameEnum": "regulatory.regimes.MOMENT_CHOICES",
        "MaintenanceStatusEnum": "publicstatus.models.Maintenance.Status",
        "MaintenanceImpactEnum": "publicstatus.models.Maintenance.Impact",
    },
}
# Largest request body Django reads into memory (bulk metric points fit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)

# --- E-mail ------------------------------------------------------------------------
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if (DEBUG or DEMO)
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_options: dict = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "incidents@localhost")

# --- Logging ------------------------------------------------------------------------
# One JSON object per line on stderr (kit/logs.py, docs/operations.md "Logs"); `console`
# is for people at a terminal (make run).
LOG_FORMAT = env_choice("LOG_FORMAT", "console" if (DEBUG or DEMO) else "json", logs.FORMATS)
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
LOGGING_CONFIG = "kit.logs.configure"
LOGGING = logs.logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL.upper())
