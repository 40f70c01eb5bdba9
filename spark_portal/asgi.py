"""ASGI entry point, for deployments that prefer an ASGI server.

The MCP endpoint answers JSON (never a long-lived stream), so the WSGI entry is the
faster and recommended one; this one exists for platforms that only run ASGI.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_portal.settings")

application = get_asgi_application()
