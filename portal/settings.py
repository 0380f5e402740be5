"""Settings for the portal, read from environment variables.

Development is the default (DEBUG on, SQLite under var/). Production sets DEBUG=0 and must
give SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; the secure-transport settings then default on.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off"  # noqa: S105 (development only)

# Keys the audit trail's hash chain (HMAC-SHA-256) when set: someone who can write the
# database but does not hold this key cannot rewrite the trail unseen. Keep it out of the
# database's backups; once set, never unset it (entries written with it need it to verify).
AUDIT_KEY = env.str("AUDIT_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env.str("SITE_NAME", default="Portfolio")
# Where the site is reached (https://portfolio.example.org), for the links in e-mails.
SITE_URL = env.str("SITE_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "audit",
    "qualifications",
    "portfolios",
    "moderation",
    "centres",
    "api",
    "checklists",
    "portable",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    # Signed-in pages, PDFs and exports are never stored by a browser or proxy.
    "accounts.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.ActiveRoleMiddleware",
    # A person with a second factor finishes signing in with it; staff a centre requires it of
    # enrol first. Nothing else is served to them until then.
    "accounts.middleware.SecondFactorMiddleware",
    # The request being served, for the external moderators' access log.
    "audit.context.RequestContextMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Production keeps each worker's database connection for a minute rather than opening one per
# request (a new PostgreSQL connection costs more than most of our queries), and checks that a
# kept connection still answers before a request uses it. Development opens one per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=not DEBUG)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when the task worker and the site overlap.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock when a transaction starts. A deferred transaction that reads and then
    # writes fails at once ("database is locked", no waiting) when another writer got in first,
    # e.g. two uploads to one portfolio allocating their references at the same moment.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out person is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Throttling of failed sign-ins (django-axes): per username and address, so one person's
# typos do not lock out a whole classroom behind one NAT address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Two-factor sign-in (django-otp: TOTP apps and single-use recovery codes). A centre requires it
# of its staff from its page; the site's staff (Django admin) need it when this is on.
TWO_FACTOR_REQUIRED_FOR_SITE_STAFF = env.bool("TWO_FACTOR_REQUIRED_FOR_SITE_STAFF", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Portfolio")
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# The API (api/): requests per token, and per address for the OpenAPI document (read without a
# token). The counts live in the cache below, which every worker process shares.
API_RATE_TOKEN = env.str("API_RATE_TOKEN", default="120/min")
API_RATE_ANONYMOUS = env.str("API_RATE_ANONYMOUS", default="30/min")
# The client's address for those limits: the connection's own, or (behind that many proxies)
# the one the nearest proxy saw; never a header the client could make up.
NINJA_NUM_PROXIES = AXES_IPWARE_PROXY_COUNT

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
# Uploaded evidence lives outside the web root and is only ever served by views that check
# access; there is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploads stream to a temporary file on disk, never into memory, however large (video evidence).
# (Django's TemporaryFileUploadHandler, refusing over-long file names with a 400 first.)
FILE_UPLOAD_HANDLERS = ["portfolios.validators.NameCheckingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)
EVIDENCE_MAX_FILE_MB = env.int("EVIDENCE_MAX_FILE_MB", default=500)
EVIDENCE_MAX_FILES_PER_POST = env.int("EVIDENCE_MAX_FILES_PER_POST", default=20)
# Django's own limits on one request; going over them answers templates/400.html, which names
# the limit. The file limit sits well above EVIDENCE_MAX_FILES_PER_POST, whose form error is
# the friendlier one.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=100)
# A .docx spec or .xlsx class list is a zip; one that unpacks to more than this, or holds more
# parts, is refused before it is parsed (qualifications/archives.py). Real ones are a few MB
# and a few dozen parts.
ARCHIVE_MAX_UNCOMPRESSED_MB = env.int("ARCHIVE_MAX_UNCOMPRESSED_MB", default=20)
ARCHIVE_MAX_ENTRIES = env.int("ARCHIVE_MAX_ENTRIES", default=1000)
# A portable portfolio (`portable/`) carries the evidence itself, so its limits are its own.
PORTFOLIO_PACKAGE_MAX_MB = env.int("PORTFOLIO_PACKAGE_MAX_MB", default=4096)
PORTFOLIO_PACKAGE_MAX_FILES = env.int("PORTFOLIO_PACKAGE_MAX_FILES", default=5000)
# How this installation names itself in the packages it exports (the receiving end shows it).
PORTFOLIO_INSTALLATION_NAME = env.str("PORTFOLIO_INSTALLATION_NAME", default="")
# Class lists uploaded but not imported (intake previews) hold personal data; they are deleted
# this many days after upload by `manage.py purge_intake_previews`, which the task worker runs
# daily (centres/tasks.py).
INTAKE_PREVIEW_DAYS = env.int("INTAKE_PREVIEW_DAYS", default=7)
# How long a centre's invitation to an account from elsewhere stays open.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=30)
# Where evidence, cached checklists and cohort prints are kept: local disk (MEDIA_ROOT) by default,
# or an S3-compatible object store (STORAGE=s3), which every machine of a deployment shares.
STORAGE = env.str("STORAGE", default="local")
if STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"STORAGE is {STORAGE!r}; it may be 'local' or 's3'.")
# How a download leaves an object store: "stream" passes it through the app; "redirect" sends
# the browser to a signed link of the store's, valid for STORAGE_LINK_SECONDS, after the same
# access check. Previews always stream (they are framed by our pages under our CSP).
STORAGE_DOWNLOADS = env.str("STORAGE_DOWNLOADS", default="stream")
if STORAGE_DOWNLOADS not in ("stream", "redirect"):
    raise ImproperlyConfigured(
        f"STORAGE_DOWNLOADS is {STORAGE_DOWNLOADS!r}; it may be 'stream' or 'redirect'."
    )
STORAGE_LINK_SECONDS = env.int("STORAGE_LINK_SECONDS", default=60)
if not 1 <= STORAGE_LINK_SECONDS <= 60:
    # A signed link opens the file for whoever holds it, with no further check.
    raise ImproperlyConfigured("STORAGE_LINK_SECONDS must be between 1 and 60.")
# Uploads go to the store in parts of this size (S3 needs at least 5 MB), read from the upload's
# temporary file as they are sent, so no part is held in memory whole.
STORAGE_PART_MB = env.int("STORAGE_PART_MB", default=8)
if STORAGE_PART_MB < 5:
    raise ImproperlyConfigured("STORAGE_PART_MB must be at least 5 (the S3 minimum).")
S3_OPTIONS = {
    "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
    "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
    "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
    "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
    "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
    # "path" for MinIO, Garage, Ceph and the like on a host name of their own.
    "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
    "signature_version": "s3v4",
    # Private objects; never a public URL (evidence is only served after an access check).
    "default_acl": None,
    "querystring_auth": True,
    "querystring_expire": STORAGE_LINK_SECONDS,
    # A name already taken gets a new one, as on local disk: nothing is overwritten unseen.
    "file_overwrite": False,
    # A file read whole (a cached checklist) moves from memory to a temporary file past this.
    "max_memory_size": 8 * 1024 * 1024,
}
if STORAGE == "s3" and not S3_OPTIONS["bucket_name"]:
    raise ImproperlyConfigured("STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
STORAGES = {
    "default": (
        {"BACKEND": "portfolios.objectstore.S3Storage", "OPTIONS": S3_OPTIONS}
        if STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portfolio@localhost")

# Sessions live in the database (Django's default engine) and django-axes counts failed sign-ins
# there too, so every app server sees them. The cache (the API's rate limits count there) is a
# file cache by default, shared by gunicorn's workers on one machine; CACHE_URL names one shared
# by several machines (redis://127.0.0.1:6379/0 with the redis package, or dbcache://table_name).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
# django-environ 0.14 leaves `?key_prefix=…` (and `timeout`, `version`) in lower case, which
# Django ignores: two sites sharing one Redis would read each other's keys.
CACHES["default"] = {
    (key.upper() if key.lower() in {"key_prefix", "timeout", "version"} else key): value
    for key, value in CACHES["default"].items()
}

TASKS = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}

# Content-Security-Policy: no inline script or style anywhere, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages are never framed; the evidence preview view opts in with xframe_options_sameorigin.
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# Secure transport is on whenever DEBUG is off, unless a deployment says otherwise.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint reports every page it lays out at INFO; its warnings still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# django-import-export: importing needs the model's "add" permission, exporting its "view";
# every import runs in one transaction. Formula escaping is done by qualifications.spreadsheets,
# which covers more than the library's own setting (= + - @ tab CR, not only =).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
