"""Settings: logging (docs/operations.md), imported by spark_portal/settings.py."""

from __future__ import annotations

from spark_portal.env import env_bool, env_int, env_str

# Logs go to standard error. Every record carries the request ID of the request it was written
# for (ops.logs.RequestIdFilter); the request log (`spark.request`, ops/middleware.py) writes one
# JSON object per line, and SPARK_LOG_JSON=1 makes every other logger write JSON lines too.
SPARK_LOG_JSON = env_bool("SPARK_LOG_JSON", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if SPARK_LOG_JSON else "plain",
            "filters": ["request_id"],
        },
        "requests": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "spark.request": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        # The request log has a line for every answer: Django's own 4xx warnings would repeat it
        # (with the raw path, secret keys of links included). Its 5xx errors and tracebacks stay.
        "django.request": {"level": "ERROR"},
    },
}
# The request log shows at most this many characters of a chat_gwi prompt (0: none).
SPARK_LOG_PROMPT_CHARS = env_int("SPARK_LOG_PROMPT_CHARS", 40)
