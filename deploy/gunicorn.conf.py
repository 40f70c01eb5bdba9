"""gunicorn settings for one Spark Portal app server (read by deploy/spark-portal.service).

The same flags as scripts/run.sh. Values that differ per host come from the environment file
(deploy/spark-portal.env.example): SPARK_BIND, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS.
"""

import os
import sys

# The checkout this file lives in, importable whatever directory gunicorn was started from.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Metrics in multiprocess mode: settles PROMETHEUS_MULTIPROC_DIR before any worker starts, and the
# hooks that clean up after dead workers; an access log without /healthz and /readyz (ops/gunicorn_hooks.py).
from ops.gunicorn_hooks import ProbeQuietLogger, child_exit, on_exit  # noqa: F401

logger_class = ProbeQuietLogger

wsgi_app = "spark_portal.wsgi:application"
# The address nginx connects to: a private address, or 127.0.0.1 when nginx runs on this host.
bind = os.environ.get("SPARK_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"  # nginx buffers requests and responses, so slow clients never hold a worker
timeout = 30
graceful_timeout = 30
# Only the front may say the client used https (X-Forwarded-Proto): nginx's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# To the journal. Query strings are left out (%(U)s, not %(r)s): a client that puts a token in the
# URL is refused, and its token must not end up in the log either.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
# gunicorn's control socket, in the unit's RuntimeDirectory (one per instance).
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
