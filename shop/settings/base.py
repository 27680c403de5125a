# Over 400 lines: every setting of the shop in one file, read once from the environment.
"""Settings for every real run (make run, docker compose, production), read from the environment.

One `env` object reads every variable; docs/configuration.md lists them all (a test checks).
Without `DATABASE_URL` and `REDIS_URL` the shop runs on embedded defaults: SQLite and
kombu's filesystem broker under `var/`, so `make run` needs no server.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("SHOP_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off "
            "(export SECRET_KEY=..., or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shop",
    "catalog",
    "orders",
    "wallets",
    "providers",
    "promotions",
    "shan",
    "webhooks",
    "resellers",
    "ops",
    "accounts",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "shop.middleware.reject_nul_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout signalled by its backend into the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
ASGI_APPLICATION = "shop.asgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite settings measured in docs/deployment.md: WAL, IMMEDIATE transactions and a busy timeout
# keep web, worker and beat from tripping over "database is locked".
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shop.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Behind PgBouncer in transaction pooling (docs/deployment.md#pgbouncer) a session lasts
    # one transaction: no server-side cursors (Django's are WITH HOLD, kept by the session),
    # no client pool in front of PgBouncer's, connections kept open to it instead.
    DATABASE_PGBOUNCER = env.bool("DATABASE_PGBOUNCER", default=False)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_PGBOUNCER
    if env.bool("DATABASE_POOL", default=not DATABASE_PGBOUNCER):
        # Django's own psycopg 3 pool; CONN_MAX_AGE must stay 0 with it.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared by every process: web, worker, beat) -------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "shop.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one address, that pair is refused (429, templates/registration/locked_out.html) until the
# cool-off passes. Locking by username and address together keeps an attacker from locking a
# customer out from elsewhere; attempts and lockouts are listed in the admin. The address is
# REMOTE_ADDR (django-ipware is not installed), so a forged X-Forwarded-For changes nothing.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no start-up banner: commands keep stderr for their one-line errors
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:wallet"
LOGOUT_REDIRECT_URL = "home"

# --- I18n and money ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language with the time zone ("7 Dec 2026, 08:42 WIB" / "7 Des 2026 08.42 WIB").
FORMAT_MODULE_PATH = ["shop.formats"]
USE_TZ = True
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="IDR")
# How long a gateway order waits for its payment before it expires.
ORDER_PAYMENT_MINUTES = env.int("ORDER_PAYMENT_MINUTES", default=60)

# --- Static files (whitenoise; no CDN, the machines have no internet) -----------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
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
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- E-mail ------------------------------------------------------------------------------------
# Without SMTP every message is logged (INFO, logger `shop.email`), from web and worker alike.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="shop.email_backends.LoggingEmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@localhost")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# --- Providers and gateways (credentials only from the environment) ------------------------
# Simulators speak each provider's real protocol under /sim/<code>/ for the demo and tests.
# With them on, a provider with no base URL points at its simulator, and missing
# credentials get the simulator's demo values.
SIMULATORS_ENABLED = env.bool("SIMULATORS_ENABLED", default=DEBUG)
# The catalog sync maps new provider products to shop items by brand and face value (links
# to the one matching item, else creates one); off, they wait in the admin's "to map" list.
# On by default only with DEBUG (docs/configuration.md).
CATALOG_AUTO_MAP = env.bool("CATALOG_AUTO_MAP", default=DEBUG)
# Seconds a simulated pending order waits before it resolves and calls back.
SIMULATOR_PENDING_SECONDS = env.int("SIMULATOR_PENDING_SECONDS", default=20)
# Seconds the "long pending" scenarios (81, 82) wait: past every deadline, inside the
# slow schedule (3 hours).
SIMULATOR_LONG_PENDING_SECONDS = env.int("SIMULATOR_LONG_PENDING_SECONDS", default=10800)
# Seconds a simulator's "slow" scenario sleeps (past PROVIDER_READ_TIMEOUT).
SIMULATOR_SLOW_SECONDS = env.float("SIMULATOR_SLOW_SECONDS", default=25)
# Where simulators send callbacks (the shop itself).
SIMULATOR_CALLBACK_BASE_URL = env.str("SIMULATOR_CALLBACK_BASE_URL", default=SITE_URL)
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=3.05)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=20)
# Account checks ("cek ID": a game nickname, a PLN name) before the buyer pays
# (providers/account_check.py, docs/storefront.md#account-check). Off: no provider is asked.
ACCOUNT_CHECKS_ENABLED = env.bool("ACCOUNT_CHECKS_ENABLED", default=True)
# A buyer waits on the check: its own short read timeout.
ACCOUNT_CHECK_READ_TIMEOUT = env.float("ACCOUNT_CHECK_READ_TIMEOUT", default=5)
# Found and not-found answers are kept this long (outages are never kept).
ACCOUNT_CHECK_CACHE_SECONDS = env.int("ACCOUNT_CHECK_CACHE_SECONDS", default=600)
# Checks that reach a provider per minute: from one address (storefront), per API key.
ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE = env.int("ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE", default=10)
ACCOUNT_CHECKS_PER_KEY_PER_MINUTE = env.int("ACCOUNT_CHECKS_PER_KEY_PER_MINUTE", default=60)
# How hard the poller may ask each provider (providers/call_limits.py, docs/pipeline.md):
# status calls per second and in flight, shared by every worker; "code=rate:concurrency,..."
# overrides them per provider.
PROVIDER_STATUS_RATE = env.float("PROVIDER_STATUS_RATE", default=1000)
PROVIDER_STATUS_CONCURRENCY = env.int("PROVIDER_STATUS_CONCURRENCY", default=200)
PROVIDER_STATUS_LIMITS = env.dict("PROVIDER_STATUS_LIMITS", default={})

# Provider health (providers/health.py, docs/operations.md#provider-health): a provider's
# circuit opens after this many failed calls in a row (timeouts, no connection, 5xx, answers
# that say the provider is broken), lets one probe order through after the cool-down, and
# gives that probe this long before another may go.
PROVIDER_CIRCUIT_FAILURES = env.int("PROVIDER_CIRCUIT_FAILURES", default=5)
PROVIDER_CIRCUIT_COOLDOWN_SECONDS = env.int("PROVIDER_CIRCUIT_COOLDOWN_SECONDS", default=60)
PROVIDER_CIRCUIT_PROBE_SECONDS = env.int("PROVIDER_CIRCUIT_PROBE_SECONDS", default=120)
# The sliding window of the error rate and latency, and the error rate (percent, over at
# least PROVIDER_ERROR_RATE_MIN_CALLS calls) that alerts staff once per crossing.
PROVIDER_HEALTH_WINDOW_SECONDS = env.int("PROVIDER_HEALTH_WINDOW_SECONDS", default=300)
PROVIDER_ERROR_RATE_ALERT = env.float("PROVIDER_ERROR_RATE_ALERT", default=50.0)
PROVIDER_ERROR_RATE_MIN_CALLS = env.int("PROVIDER_ERROR_RATE_MIN_CALLS", default=10)

# Prometheus metrics at /metrics (ops/metrics.py): staff, these client addresses (behind
# TRUSTED_PROXIES), or `Authorization: Bearer <METRICS_TOKEN>`. Counts cover the last
# METRICS_WINDOW_SECONDS; queue depth reads these Celery queues in the broker's Redis.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_WINDOW_SECONDS = env.int("METRICS_WINDOW_SECONDS", default=3600)
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])
# Due orders per poll task, and the threads each such task asks with: two rounds of status
# calls that all time out (2 x 23 s) stay within the tasks' soft time limit (90 s).
POLL_CHUNK_SIZE = env.int("POLL_CHUNK_SIZE", default=16)
POLL_THREADS = env.int("POLL_THREADS", default=8)
# Placements of one order at most (its first route and its failovers, docs/pipeline.md):
# after this many final failures the order is refunded.
ROUTING_MAX_ATTEMPTS = env.int("ROUTING_MAX_ATTEMPTS", default=3)


def _credential(name: str, simulator_default: str) -> str:
    return env.str(name, default=simulator_default if SIMULATORS_ENABLED else "")


DIGIFLAZZ_USERNAME = _credential("DIGIFLAZZ_USERNAME", "sim-buyer")
DIGIFLAZZ_API_KEY = _credential("DIGIFLAZZ_API_KEY", "sim-digiflazz-key")
DIGIFLAZZ_BASE_URL = env.str("DIGIFLAZZ_BASE_URL", default="")
DIGIFLAZZ_TESTING = env.bool("DIGIFLAZZ_TESTING", default=False)
DIGIFLAZZ_WEBHOOK_SECRET = _credential("DIGIFLAZZ_WEBHOOK_SECRET", "sim-digiflazz-webhook")
# Sent as `cb_url` on each transaction when set; else Digiflazz uses the dashboard's URL.
DIGIFLAZZ_CALLBACK_URL = env.str("DIGIFLAZZ_CALLBACK_URL", default="")
HUBBLE_CLIENT_ID = _credential("HUBBLE_CLIENT_ID", "sim-client")
HUBBLE_CLIENT_SECRET = _credential("HUBBLE_CLIENT_SECRET", "sim-hubble-secret")
HUBBLE_BASE_URL = env.str("HUBBLE_BASE_URL", default="")
HUBBLE_WEBHOOK_SECRET = _credential("HUBBLE_WEBHOOK_SECRET", "sim-hubble-webhook")
FOXRELOAD_API_KEY = _credential("FOXRELOAD_API_KEY", "sim-foxreload-key")
FOXRELOAD_BASE_URL = env.str("FOXRELOAD_BASE_URL", default="")
FOXRELOAD_MOCK = env.bool("FOXRELOAD_MOCK", default=False)
FOXRELOAD_PAYMENT_PROVIDER = env.str("FOXRELOAD_PAYMENT_PROVIDER", default="pally")
VIPRESELLER_API_ID = _credential("VIPRESELLER_API_ID", "sim-vip-id")
VIPRESELLER_API_KEY = _credential("VIPRESELLER_API_KEY", "sim-vip-key")
VIPRESELLER_BASE_URL = env.str("VIPRESELLER_BASE_URL", default="")
TRIPAY_API_KEY = _credential("TRIPAY_API_KEY", "sim-tripay-api-key")
TRIPAY_PRIVATE_KEY = _credential("TRIPAY_PRIVATE_KEY", "sim-tripay-private-key")
TRIPAY_MERCHANT_CODE = _credential("TRIPAY_MERCHANT_CODE", "T0001")
TRIPAY_BASE_URL = env.str("TRIPAY_BASE_URL", default="")
# Addresses or CIDRs allowed to call the Tripay callback; empty: any (the signature decides).
TRIPAY_CALLBACK_IPS = env.list("TRIPAY_CALLBACK_IPS", default=[])
# The gateway buyers pay through; empty: the sandbox where simulators are on, else Tripay.
# With simulators on, `tripay` pays through the Tripay simulator (checkout page, callbacks).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="")
if PAYMENT_GATEWAY not in ("", "sandbox", "tripay") or (
    PAYMENT_GATEWAY == "sandbox" and not SIMULATORS_ENABLED
):
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAY={PAYMENT_GATEWAY!r}: use tripay, or sandbox with SIMULATORS_ENABLED on."
    )

# --- Messages to buyers and staff (docs/notifications.md) ------------------------------------
# WhatsApp Business Cloud API: template messages to buyers who gave a WhatsApp number.
# Without a base URL: the simulator (/sim/whatsapp/) with simulators on, else Meta's Graph API.
WHATSAPP_BASE_URL = env.str("WHATSAPP_BASE_URL", default="")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v21.0")
WHATSAPP_PHONE_NUMBER_ID = _credential("WHATSAPP_PHONE_NUMBER_ID", "100000000000001")
WHATSAPP_ACCESS_TOKEN = _credential("WHATSAPP_ACCESS_TOKEN", "sim-whatsapp-token")
# Delivery-status webhooks: the app secret signs them (X-Hub-Signature-256); the verify
# token answers Meta's subscription check (GET with hub.verify_token).
WHATSAPP_APP_SECRET = _credential("WHATSAPP_APP_SECRET", "sim-whatsapp-app-secret")
WHATSAPP_VERIFY_TOKEN = _credential("WHATSAPP_VERIFY_TOKEN", "sim-whatsapp-verify-token")
# Telegram Bot API: staff alerts, to the chats chosen in the admin (Staff alert routes).
TELEGRAM_BASE_URL = env.str("TELEGRAM_BASE_URL", default="")
TELEGRAM_BOT_TOKEN = _credential("TELEGRAM_BOT_TOKEN", "123456:sim-telegram-token")
# A wallet adjustment at or above this amount (either sign) alerts staff.
LARGE_ADJUSTMENT_ALERT = Decimal(env.str("LARGE_ADJUSTMENT_ALERT", default="1000000"))

# --- Inbound callbacks ---------------------------------------------------------------------
SHAN_SECRET_KEY = _credential("SHAN_SECRET_KEY", "sim-shan-secret")
SHAN_TRANSACTION_KEY = env.str("SHAN_TRANSACTION_KEY", default="")
# Shan game launch: the provider's base URL (the simulator when on), our agent code, and the
# base URL the provider posts balance updates to (+ /api/shan/client/balance-update).
SHAN_BASE_URL = env.str("SHAN_BASE_URL", default="")
SHAN_AGENT_CODE = _credential("SHAN_AGENT_CODE", "SIMAGENT")
SHAN_CALLBACK_BASE_URL = env.str("SHAN_CALLBACK_BASE_URL", default=SITE_URL)
HUBBLE_WEBHOOK_IPS = env.list("HUBBLE_WEBHOOK_IPS", default=[])
# The `sales` system account is striped over this many wallet rows, so orders do not queue
# on one row lock (wallets/stripes.py, docs/scaling.md).
LEDGER_SALES_STRIPES = env.int("LEDGER_SALES_STRIPES", default=8)
# Proxies (IPs or CIDRs) whose X-Forwarded-For is believed; nobody else's is.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=64 * 1024)
# Callback deliveries per minute from one address whose signature does not verify (a burst
# of that many, then one every 60/N s); past it 429 and nothing stored. 0: no limit.
WEBHOOK_UNVERIFIED_PER_MINUTE = env.int("WEBHOOK_UNVERIFIED_PER_MINUTE", default=30)
# Unverified deliveries (headers, size, SHA-256, first KiB) are pruned after this many days.
WEBHOOK_REJECTED_RETENTION_DAYS = env.int("WEBHOOK_REJECTED_RETENTION_DAYS", default=14)

# Bank-transfer top-ups (a receipt upload each): per user, a burst of this many posts an hour
# (then one every 60/N minutes), at most this many undecided at once, and the receipts of
# rejected ones deleted this many days after the rejection.
BANK_TRANSFERS_PER_HOUR = env.int("BANK_TRANSFERS_PER_HOUR", default=10)
BANK_TRANSFER_MAX_UNDECIDED = env.int("BANK_TRANSFER_MAX_UNDECIDED", default=3)
DEPOSIT_REJECTED_PROOF_RETENTION_DAYS = env.int("DEPOSIT_REJECTED_PROOF_RETENTION_DAYS", default=90)

# --- Security (production values pass `check --deploy --fail-level WARNING`) ------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts and styles only from the
# shop's own origin or carrying this response's nonce (`request.csp_nonce`: the simulator
# pages' and the API docs page's <style>), no inline event handlers or style attributes, no
# plugins, no framing. Images may come from https (a gateway's QR image) and data: (the
# Swagger UI's icons). No form-action: a checkout's form is redirected to the gateway's page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page of the shop uses these; only the
# copy buttons write to the clipboard (the shop's own origin).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "clipboard-write": ["self"],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}

# --- Django REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "shop.parsers.JSONParser",  # DRF's, with too-deep nesting a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "Callbacks the shop receives from providers and gateways.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for an order's status wherever the API shows it (orders, bills, filters).
    "ENUM_NAME_OVERRIDES": {"OrderStatusEnum": "orders.models.OrderStatus"},
}

# --- Celery --------------------------------------------------------------------------------------
# Reliability first: a task is acknowledged only after it ran, a worker that dies puts its
# task back, and each worker takes one message at a time (Redis). Results are not kept:
# every task writes its outcome to the database.
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "staging_folder": str(CELERY_BROKER_FOLDER / "staging"),
        "rejected_folder": str(CELERY_BROKER_FOLDER / "rejected"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    # kombu's filesystem transport with atomic message files (shop/broker.py says why).
    CELERY_BROKER_TRANSPORT = "shop.broker:Transport"
    CELERY_WORKER_PREFETCH_MULTIPLIER = 4  # docs/deployment.md: 1 backs up on this transport
else:
    # Longer than any countdown or ETA the shop sets, or Redis would hand the task out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
    CELERY_BROKER_TRANSPORT = None  # the URL's scheme says which
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Records each beat run, so /healthz believes only the running beat's heartbeats.
CELERY_BEAT_SCHEDULER = "shop.beat:Scheduler"
# The daily catalog sync, "HH:MM" in TIME_ZONE.
CATALOG_SYNC_AT = tuple(
    int(part) for part in env.str("CATALOG_SYNC_AT", default="02:00").split(":")
)
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {"task": "shop.tasks.beat_heartbeat", "schedule": 30.0},
    # Outbox messages whose send task was lost, and sends a dead worker left unfinished.
    "outbound-messages-requeue": {
        "task": "shop.tasks.outbound_messages_requeue",
        "schedule": 60.0,
    },
    "simulators-tick": {"task": "providers.tasks.simulators_tick", "schedule": 5.0},
    "orders-poll-due": {"task": "orders.tasks.orders_poll_due", "schedule": 15.0},
    "orders-reconcile": {"task": "orders.tasks.orders_reconcile", "schedule": 60.0},
    "orders-expire-unpaid": {"task": "orders.tasks.orders_expire_unpaid", "schedule": 60.0},
    # Gateway payments without a callback after a few minutes: ask the gateway.
    "gateway-payments-sweep": {"task": "orders.tasks.gateway_payments_sweep", "schedule": 300.0},
    "resellers-callbacks-due": {"task": "resellers.tasks.callbacks_due", "schedule": 15.0},
    # Provider error rates over the health window: staff told once per crossing.
    "providers-health-check": {"task": "providers.tasks.providers_health_check", "schedule": 60.0},
    "providers-check-balances": {
        "task": "providers.tasks.providers_check_balances",
        "schedule": 15 * 60.0,
    },
    "catalog-sync-all": {
        "task": "catalog.tasks.catalog_sync_all",
        "schedule": crontab(hour=CATALOG_SYNC_AT[0], minute=CATALOG_SYNC_AT[1]),
    },
    "ops-reconcile-daily": {
        "task": "ops.tasks.reconcile_daily",
        "schedule": crontab(hour=3, minute=30),
    },
    "webhooks-prune-unverified": {
        "task": "webhooks.tasks.webhooks_prune_unverified",
        "schedule": crontab(hour=4, minute=15),
    },
    "wallets-prune-rejected-proofs": {
        "task": "wallets.tasks.deposits_prune_rejected_proofs",
        "schedule": crontab(hour=4, minute=25),
    },
}
# /healthz calls the beat stale after this many seconds without a heartbeat.
BEAT_HEARTBEAT_MAX_AGE = env.int("BEAT_HEARTBEAT_MAX_AGE", default=120)

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
