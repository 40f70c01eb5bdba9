"""Client secrets of identity providers, sealed at rest.

Spark must present an OIDC client secret to the organization's IdP, so it cannot keep only a hash
of it (as it does with its own secrets). It keeps it encrypted (AES-256-GCM) with a key derived from
`SECRET_KEY`; a database dump alone does not reveal it. After rotating `SECRET_KEY`, keep the old key
in `SECRET_KEY_FALLBACKS` until every connection's secret has been entered again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "sealed:v1:"
MAX_SECRET_LENGTH = 100
"""Longer secrets would not fit allauth's 191-character column once sealed."""
_PURPOSE = b"spark-portal identity provider client secret"


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()


def seal(plain: str) -> str:
    if not plain:
        return ""
    nonce = os.urandom(12)
    box = AESGCM(_key(settings.SECRET_KEY)).encrypt(nonce, plain.encode(), _PURPOSE)
    return PREFIX + base64.urlsafe_b64encode(nonce + box).decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def unseal(value: str) -> str:
    """The plain secret; "" when it cannot be opened (the key changed), so the IdP refuses it."""
    if not is_sealed(value):
        return value
    raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
    nonce, box = raw[:12], raw[12:]
    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return AESGCM(_key(secret_key)).decrypt(nonce, box, _PURPOSE).decode()
        except InvalidTag:
            continue
    return ""
