"""Spark Portal settings: every value from the environment.

Local runs need no configuration at all (SQLite file, plain http on loopback, a throwaway key):
`SPARK_LOCAL=1`, which DEBUG implies and `scripts/run.sh` sets with DEBUG off. Production is
neither: startup then refuses a missing or weak `SECRET_KEY`, a wildcard `ALLOWED_HOSTS`, or a
non-https `SPARK_PUBLIC_URL`.

The variables are read through `spark_portal.env`; two groups live in modules of their own,
imported below: the survey data, retention and backups (`settings_data.py`) and logging
(`settings_logging.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from spark_portal.env import BASE_DIR, env_bool, env_float, env_int, env_list, env_str

# Two groups of settings live in modules of their own; Django takes every upper-case name they define.
from spark_portal.settings_data import *  # noqa: F403  (the survey data, retention, backups)
from spark_portal.settings_logging import *  # noqa: F403  (logging)

# DEBUG: Django's technical pages (a 404 lists the URL map, a 500 shows the traceback and settings).
# For developing only; `scripts/run.sh` serves with it off (DEBUG=1 turns it on there).
DEBUG = env_bool("DEBUG", True)
# A local run on this machine: plain http on loopback names, a throwaway key, mail printed to the
# console, local identity providers allowed. DEBUG implies it; never set it in production.
SPARK_LOCAL = env_bool("SPARK_LOCAL", DEBUG)

_DEV_SECRET_KEY = "dev-insecure-spark-portal-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if SPARK_LOCAL else "")
# Earlier keys, newest first, comma-separated: after rotating SECRET_KEY they keep sealed SSO secrets,
# MFA secrets and signed values readable (personal token digests use SECRET_KEY alone).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
_WEAK_KEY = not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
if not SPARK_LOCAL and _WEAK_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or weak. In production (DEBUG and SPARK_LOCAL off), set SECRET_KEY to at "
        "least 50 random characters, "
        'e.g. python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if SPARK_LOCAL else [])
if not SPARK_LOCAL and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("In production, ALLOWED_HOSTS must list the real host names (no '*').")

# The public base URL of this deployment (scheme + host [+ port], no trailing slash). It is the
# OAuth issuer and the base of the canonical MCP resource URL. Empty: derived from each request,
# which is right for local runs only.
SPARK_PUBLIC_URL = env_str("SPARK_PUBLIC_URL", "").rstrip("/")
if not SPARK_LOCAL and not SPARK_PUBLIC_URL.startswith("https://"):
    raise ImproperlyConfigured("In production, SPARK_PUBLIC_URL must be the https:// URL users reach.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "allauth.usersessions",  # whose sessions are whose (accounts/user_sessions.py)
    "oauth2_provider",
    # Bottom to top (docs/architecture.md): each app imports only apps listed above it here.
    "catalog",
    "audit",
    "accounts",
    "usage",
    "identity",
    "oauth_server",
    "insights",
    "scim",
    "mcp_api",
    "orgadmin",
    "demo",
    "api",
    "ops",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here, not a CDN (the CSP allows only self)
]

MIDDLEWARE = [
    # First: every response, errors included, gets its X-Request-ID and one line in the request log.
    "ops.middleware.RequestLogMiddleware",
    # Then /healthz and /readyz, answered before host validation and the https redirect: load
    # balancers call app servers by address, over plain http.
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "spark_portal.urls"
WSGI_APPLICATION = "spark_portal.wsgi.application"
ASGI_APPLICATION = "spark_portal.asgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Databases: a SQLite file by default; DATABASE_URL (postgres://…) in production.
_SQLITE_PATH = BASE_DIR / "var" / "spark.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_SQLITE_PATH}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that polls the socket instead of sending `SELECT 1` on
    # every request: a warm MCP call then costs one round trip, not two (spark_portal/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "spark_portal.postgresql"
if _SQLITE:
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets gunicorn workers read while one writes; IMMEDIATE avoids upgrade deadlocks: a
    # transaction takes the write lock when it begins, and a writer that finds it taken waits up to
    # `timeout` seconds (SQLite's busy timeout) before "database is locked". Some holders are slow on
    # purpose (a client registration hashes its secret inside django-oauth-toolkit's transaction), so
    # 5 seconds was too short for a burst of them; the wait stays below gunicorn's 30-second timeout.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_float("SPARK_SQLITE_BUSY_SECONDS", 20.0),
    }

# One cache every worker and host shares (sign-in rate limits count across all of them): a table
# in the database, so no other service is needed. `migrate` creates it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "spark_cache",
        "OPTIONS": {"MAX_ENTRIES": env_int("SPARK_CACHE_MAX_ENTRIES", 100_000)},
    }
}

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated), e.g.
# 127.0.0.1 when nginx runs on the same host. Empty: the socket peer is the client.
SPARK_TRUSTED_PROXIES = env_list("SPARK_TRUSTED_PROXIES", [])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # allauth's backend, matching User.email only (never an allauth EmailAddress row nobody proved).
    "accounts.adapters.SignInAddressBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email is the login; no public sign-up (organizations invite people).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# A reset asked for an unknown address sends nothing (no mail to addresses a stranger types in).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:settings"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Email (invitations, password resets, address changes, expiring-token warnings). Local runs print mail
# to the console; production sends through SMTP: set EMAIL_HOST and friends (docs/configuration.md).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if SPARK_LOCAL else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))  # the file backend's folder
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Spark Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Local runs serve static files straight from the source tree; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG

# Security headers and cookies. Secure cookies and HSTS are off for local runs only (plain http).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = not SPARK_LOCAL
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not SPARK_LOCAL)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if SPARK_LOCAL else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not SPARK_LOCAL
SECURE_HSTS_PRELOAD = not SPARK_LOCAL
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): the portal's pages load scripts, styles and images from
# this origin only, and no page may be framed. `form-action` is left out on purpose: browsers apply
# it to the redirect after the consent form, which goes to the assistant's callback.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SPARK_PUBLIC_URL] if SPARK_PUBLIC_URL else [])


# --- Operations (ops/, docs/operations.md) -------------------------------------------------------
# Prometheus metrics at /metrics. Off: nothing is recorded and /metrics answers 404.
SPARK_METRICS = env_bool("SPARK_METRICS", True)
# Who may read /metrics: client addresses (networks allowed; the address as seen through
# SPARK_TRUSTED_PROXIES) and, when set, a bearer token. Both apply; an empty list allows any address.
SPARK_METRICS_ALLOWED_IPS = env_list("SPARK_METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
SPARK_METRICS_TOKEN = env_str("SPARK_METRICS_TOKEN", "")
# How long /readyz trusts its last look at the migrations (the check reads every migration file).
SPARK_READY_MIGRATIONS_SECONDS = env_float("SPARK_READY_MIGRATIONS_SECONDS", 30.0)

# --- Spark Portal -----------------------------------------------------------------------------
# Largest JSON-RPC body the MCP endpoint reads; bigger ones get 413 before any parsing.
MCP_MAX_BODY_BYTES = env_int("MCP_MAX_BODY_BYTES", 1_048_576)
# Origins (scheme://host[:port]) allowed to call the MCP endpoint from a browser, besides the
# portal's own origin. Requests without an Origin header (servers, CLIs) are not affected.
MCP_ALLOWED_ORIGINS = env_list("MCP_ALLOWED_ORIGINS", [])
# Where the access epoch lives (see accounts/epoch.py): "file" suits one host (always true of
# SQLite), "database" works across hosts.
SPARK_ACCESS_EPOCH = env_str("SPARK_ACCESS_EPOCH", "file" if _SQLITE else "database")
if SPARK_ACCESS_EPOCH not in {"file", "database"}:
    raise ImproperlyConfigured(f"SPARK_ACCESS_EPOCH={SPARK_ACCESS_EPOCH!r} must be 'file' or 'database'")
SPARK_ACCESS_EPOCH_FILE = env_str(
    "SPARK_ACCESS_EPOCH_FILE",
    f"{DATABASES['default']['NAME']}.access-epoch" if _SQLITE else str(BASE_DIR / "var" / "access-epoch"),
)
# With the file epoch, how often each worker also reads the database epoch row that triggers move
# on any change (accounts/watch.py): the bound on how long a change made outside the application
# (raw SQL, a bulk update) can go unseen.
SPARK_ACCESS_EPOCH_ROW_SECONDS = env_float("SPARK_ACCESS_EPOCH_ROW_SECONDS", 1.0)
# On PostgreSQL, workers LISTEN for the epoch's changes instead of reading it on every request
# (accounts/epoch_listener.py, docs/configuration.md); off under the tests, which turn it on themselves.
SPARK_ACCESS_EPOCH_LISTEN = env_bool("SPARK_ACCESS_EPOCH_LISTEN", not env_bool("SPARK_TESTING", False))
SPARK_ACCESS_EPOCH_LISTEN_SECONDS = env_float("SPARK_ACCESS_EPOCH_LISTEN_SECONDS", 1.0)
# Tool-call counts are kept per worker and written at most this often (and at worker exit).
SPARK_USAGE_FLUSH_SECONDS = env_float("SPARK_USAGE_FLUSH_SECONDS", 10.0)
SPARK_USAGE_FLUSH_KEYS = 500
# How long an invitation link to join an organization works.
SPARK_INVITATION_DAYS = env_int("SPARK_INVITATION_DAYS", 7)
# Redirect URIs accepted for the "custom" platform besides loopback ones (comma-separated).
SPARK_EXTRA_REDIRECT_URIS = env_list("SPARK_EXTRA_REDIRECT_URIS", [])
# Benchmarks only: serve a bare JSON view at /bench/bare to compare the MCP endpoint against.
SPARK_BENCH_VIEWS = env_bool("SPARK_BENCH_VIEWS", False)
# Personal access tokens: allowed lifetimes in days (never unlimited).
PAT_EXPIRY_CHOICES_DAYS = (7, 30, 90, 365)

# django-oauth-toolkit: the authorization server for assistants. Its unsafe defaults are switched
# off here, each on purpose (RFC 9700, and the MCP authorization spec).
OAUTH2_PROVIDER = {
    "OIDC_ISS_ENDPOINT": SPARK_PUBLIC_URL,  # empty: the issuer is derived from each request
    "OAUTH2_VALIDATOR_CLASS": "oauth_server.validator.SparkOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "oauth_server.scopes.SparkScopes",
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only (also checked before consent)
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # never in the query string
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,  # RFC 9207
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # tokens stored hashed
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes its whole family
    # http only for loopback redirects (RFC 8252, local tools); oauth_server.platforms enforces that.
    # Private-use schemes (RFC 8252 §7.1) of the platforms in oauth_server.platforms.PLATFORMS: the
    # platform policy accepts only each platform's exact URIs in them.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http", "cursor"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_REFRESH_IDLE_SECONDS", 30 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REQUEST_APPROVAL_PROMPT": "force",
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none", "client_secret_basic", "client_secret_post"],
    # Dynamic client registration is open (assistants register anonymously); the platform policy
    # and rate limit live in oauth_server.registration.RegistrationView.
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    "DCR_REGISTRATION_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "CIMD_ENABLED": True,
    "CIMD_METADATA_FETCHER": env_str(
        "SPARK_CIMD_METADATA_FETCHER", "oauth_server.client_metadata.PolicyMetadataFetcher"
    ),
    # Hosts: SPARK_CIMD_ALLOWED_HOSTS below (oauth_server.client_metadata.MetadataHostPermission).
    "CIMD_REGISTRATION_PERMISSION_CLASSES": ("oauth_server.client_metadata.MetadataHostPermission",),
    "OAUTH2_PROTECTED_RESOURCE_BEARER_METHODS_SUPPORTED": ["header"],
    "OAUTH2_PROTECTED_RESOURCE_NAME": "Spark Portal",
    "CLIENT_SECRET_HASHER": "pbkdf2_sha256_client_secret",  # oauth_server.hashers.ClientSecretHasher
}
# Hosts whose client ID metadata documents are fetched (Django's ALLOWED_HOSTS syntax). Unset: the
# platforms' own (oauth_server.platforms.METADATA_HOSTS: Anthropic's, OpenAI's and Microsoft's); set, the
# list given replaces them (empty: no metadata documents at all).
SPARK_CIMD_ALLOWED_HOSTS: list[str] | None = (
    env_list("SPARK_CIMD_ALLOWED_HOSTS", []) if "SPARK_CIMD_ALLOWED_HOSTS" in os.environ else None
)
# A client that lost a refresh's answer may retry with the previous refresh token this long, and gets
# the same answer while the new pair is unused (oauth_server.validator.SparkOAuth2Validator). Not DOT's
# REFRESH_TOKEN_GRACE_PERIOD_SECONDS: DOT answers a retry with the stored token, which hashed storage
# no longer has (its check E001 refuses the combination); ours keeps the answer itself, encrypted.
SPARK_REFRESH_GRACE_SECONDS = env_int("OAUTH_REFRESH_GRACE_SECONDS", 60)
# W008 warns that http redirect URIs are allowed at all; ours are loopback-only (RFC 8252), which
# oauth_server.platforms enforces and tests/oauth_server/test_registration.py proves.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]
# Anonymous client registrations allowed per IP address per hour.
SPARK_DCR_RATE_LIMIT_PER_HOUR = env_int("SPARK_DCR_RATE_LIMIT_PER_HOUR", 30)
# Failed client authentications at the token and revocation endpoints (a wrong client secret, an
# unknown client) allowed per client ID and per address in SPARK_CLIENT_AUTH_FAILURE_SECONDS; more are
# refused (429, invalid_client, Retry-After) before the secret is checked.
SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT = env_int("SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT", 50)
SPARK_CLIENT_AUTH_FAILURES_PER_ADDRESS = env_int("SPARK_CLIENT_AUTH_FAILURES_PER_ADDRESS", 20)
SPARK_CLIENT_AUTH_FAILURE_SECONDS = env_int("SPARK_CLIENT_AUTH_FAILURE_SECONDS", 600)
# Requests per SCIM token (an identity provider's sync): generous, it only stops a runaway client or a
# leaked token from taking every worker.
SPARK_SCIM_RATE = env_str("SPARK_SCIM_RATE", "1200/min")

# django-oauth-toolkit's models, named here because our models point at them (swappable).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"

# Client secrets are machine-made (about 760 random bits): stored with a fast salted hash, not the
# slow one people's passwords need (oauth_server/hashers.py says why). It must be listed to verify.
_CLIENT_SECRET_HASHER = "oauth_server.hashers.ClientSecretHasher"
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, _CLIENT_SECRET_HASHER]
if env_bool("SPARK_TESTING", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", _CLIENT_SECRET_HASHER]

# --- Two-factor authentication (allauth.mfa; accounts/mfa.py, docs/mfa.md) ----------------------
# Authenticator apps (TOTP) with recovery codes. Secrets are stored encrypted with a key derived
# from SECRET_KEY (keep the old key in SECRET_KEY_FALLBACKS when rotating it).
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# allauth refuses to set up an authenticator while any `EmailAddress` row is unverified (it guards
# sign-up forms against an attacker enrolling on someone else's address). Here nobody signs up: an
# address is vouched for by an invitation link, SCIM, a verified domain's SSO or a mailed change
# link, and `EmailAddress` rows are never read (accounts.adapters). A stray unverified row (an IdP's
# `email_verified: false`) must not lock someone out of an organization that requires two factors.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Spark Portal")
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, for phones whose clock drifts
MFA_RECOVERY_CODES_SHOW_ONCE = True  # shown (and downloadable) once, right after they are made
# An authenticator app's code is accepted once: the step of the last one (enrolment's too) is kept.
MFA_FORMS = {"authenticate": "accounts.mfa.AuthenticateForm", "reauthenticate": "accounts.mfa.ReauthenticateForm"}
# Last in the stack (they need the session, the signed-in user and messages, and answer before any
# view): a session that did not sign in through the identity provider of an organization requiring
# SSO for the person's address ends; then each organization's two-factor requirement not met by this
# session sends the person to give their code, or to enrol.
MIDDLEWARE += ["accounts.sso_sessions.RequireSsoMiddleware", "accounts.mfa.RequireMFAMiddleware"]

# --- Single sign-on per organization (identity/, docs/sso.md) ------------------------------------
# allauth's OpenID Connect and SAML providers; each organization's connections are SocialApp rows
# owned by identity.IdentityConnection (no provider is configured here).
INSTALLED_APPS += [
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
]
SOCIALACCOUNT_ADAPTER = "identity.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True  # never a sign-up form: the adapter provisions people just in time
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # a login attaches to an account only by the adapter's rules
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False  # the IdP's tokens are not kept
SOCIALACCOUNT_LOGIN_ON_GET = False  # sign-in starts with a POST (the sign-in page's "Continue with SSO")
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SPARK_SSO_REQUESTS_TIMEOUT", 10)
# Password reset refuses the domains of organizations that require SSO (identity/forms.py).
ACCOUNT_FORMS = {**globals().get("ACCOUNT_FORMS", {}), "reset_password": "identity.forms.ResetPasswordForm"}
# A session started by SSO lasts this long; then the person goes back through their identity
# provider, which is where someone who lost access there is stopped.
SPARK_SSO_SESSION_SECONDS = env_int("SPARK_SSO_SESSION_SECONDS", 8 * 3600)
# Identity providers on plain http or on private, loopback or link-local addresses: refused unless
# this is on (local runs and tests; never in production).
SPARK_SSO_ALLOW_LOCAL_IDP = env_bool("SPARK_SSO_ALLOW_LOCAL_IDP", SPARK_LOCAL)

# Audit streams (audit/streams.py, docs/policies.md): organizations' audit events sent to their SIEM
# by `manage.py deliver_audit_events`. Per-call audit events are kept per worker and written at most
# this often (and at worker exit); each stream's queue holds at most this many undelivered events
# (a full queue drops its oldest, counted); a delivery is tried this many times, waiting twice as long
# after each failure from the first wait up to the longest, then set aside as a dead letter.
SPARK_AUDIT_CALL_FLUSH_SECONDS = env_float("SPARK_AUDIT_CALL_FLUSH_SECONDS", 1.0)
SPARK_AUDIT_STREAM_QUEUE_MAX = env_int("SPARK_AUDIT_STREAM_QUEUE_MAX", 10_000)
SPARK_AUDIT_STREAM_ATTEMPTS = env_int("SPARK_AUDIT_STREAM_ATTEMPTS", 12)
SPARK_AUDIT_STREAM_RETRY_SECONDS = env_float("SPARK_AUDIT_STREAM_RETRY_SECONDS", 10.0)
SPARK_AUDIT_STREAM_RETRY_MAX_SECONDS = env_float("SPARK_AUDIT_STREAM_RETRY_MAX_SECONDS", 3600.0)
SPARK_AUDIT_STREAM_TIMEOUT_SECONDS = env_float("SPARK_AUDIT_STREAM_TIMEOUT_SECONDS", 5.0)
# Webhooks on plain http or on private, loopback or link-local addresses: refused unless this is on
# (local runs and tests; never in production).
SPARK_AUDIT_STREAM_ALLOW_LOCAL = env_bool("SPARK_AUDIT_STREAM_ALLOW_LOCAL", False)

# Email domain verification reads TXT records through the system's resolver, or through these name
# servers (`host` or `host:port`, comma-separated; tests run their own on a loopback port).
SPARK_DNS_NAMESERVERS = env_list("SPARK_DNS_NAMESERVERS", [])
SPARK_DNS_TIMEOUT_SECONDS = env_float("SPARK_DNS_TIMEOUT_SECONDS", 5.0)
# The callback and ACS URLs allauth gives identity providers (and reset links) are https in production.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if SPARK_LOCAL else "https"


# --- The management API (/api/v1/, docs/api.md) --------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the portal's own pages (CSRF enforced)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ManagementScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JsonParser"],
    "EXCEPTION_HANDLER": "api.problems.problem_response",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.PerCaller"],
    "DEFAULT_THROTTLE_RATES": {"caller": env_str("SPARK_API_RATE", "600/min")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Spark Portal management API",
    "DESCRIPTION": (
        "Manage organizations, members, email domains, connectors, tokens and assistants, and read "
        "the audit trail. Authenticate with a personal access token of an organization admin that "
        "holds `org:read` (reads) or `org:admin` (changes): `Authorization: Bearer spk_…`. "
        "Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
        "name": {"type": "string", "pattern": "^[^/\\x00]+$"},
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}
