"""Secrets some URLs carry in their path (invitation and password-reset keys), kept out of logs.

Imports only Django's URL resolver, so gunicorn's access logger (ops/gunicorn_hooks.py, loaded before
Django is set up) can use it as well as the request log."""

from __future__ import annotations

from typing import Any

from django.urls import Resolver404, resolve

SECRET_KWARGS = frozenset({"key", "uidb36", "token"})
REDACTED = "[redacted]"


def redact(path: str, kwargs: dict[str, Any]) -> str:
    """`path` with the values of its secret URL arguments replaced by "[redacted]"."""
    for name, value in kwargs.items():
        if name in SECRET_KWARGS and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return path


def redact_path(path: str) -> str:
    """The same for a bare path, resolved against the URL map (a path that resolves to nothing is kept)."""
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return redact(path, match.kwargs)
