"""Secrets at rest that Spark Portal must read back, sealed with a key derived from `SECRET_KEY`.

Spark Portal keeps only digests of the secrets it issues (`accounts.tokens`), but some it must present or
check later: an identity provider's OIDC client secret, an authenticator app's TOTP key. Those are
sealed here, one way for all of them, so a database dump alone does not reveal them:

    sealed:v1: <urlsafe base64 of a 12-byte nonce + the AES-256-GCM box>

The key is HMAC-SHA256(SECRET_KEY, purpose) and the purpose is the associated data, so a value sealed
for one purpose never opens as another. After rotating `SECRET_KEY`, keep the old key in
`SECRET_KEY_FALLBACKS`: values sealed under it still open. Two older forms are still read: values
without a marker (stored before sealing was turned on) are taken as they are, and `fernet1:` values
(MFA secrets sealed with Fernet before this module) are opened and, once rewritten, sealed here.

A value that cannot be opened (no key opens it, or it is damaged) raises `Unreadable`: it never
quietly reads as an empty secret.

It sits in the bottom layer (it reads only settings) so that every room may seal: accounts (MFA keys),
identity (client secrets through `accounts.sealing`, its old home, which names the same things) and
the audit trail (its streams' signing secrets), which is below accounts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.crypto import salted_hmac

MARKER = "sealed:v1:"
LEGACY_FERNET = "fernet1:"
NONCE_LEN = 12
_FAILURE = "A sealed secret cannot be opened: SECRET_KEY changed without the old key in SECRET_KEY_FALLBACKS"


class Unreadable(ValueError):
    """A sealed secret no key opens: `SECRET_KEY` changed without the old key in `SECRET_KEY_FALLBACKS`."""


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _legacy_fernet_open(value: str) -> str:
    fernets = [
        Fernet(base64.urlsafe_b64encode(salted_hmac("accounts.mfa", "fernet", secret=key, algorithm="sha256").digest()))
        for key in _keys()
    ]
    try:
        return MultiFernet(fernets).decrypt(value.removeprefix(LEGACY_FERNET).encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise Unreadable(_FAILURE) from exc


@dataclass(frozen=True)
class Sealer:
    """Seals and opens the secrets of one purpose (its words are part of the key: fixed forever)."""

    purpose: bytes

    def _aead(self, secret_key: str) -> AESGCM:
        return AESGCM(hmac.new(secret_key.encode(), self.purpose, hashlib.sha256).digest())

    def seal(self, plain: str) -> str:
        """The value to store; "" stays "" (no secret)."""
        if not plain:
            return ""
        nonce = os.urandom(NONCE_LEN)
        box = self._aead(settings.SECRET_KEY).encrypt(nonce, plain.encode(), self.purpose)
        return MARKER + base64.urlsafe_b64encode(nonce + box).decode()

    def unseal(self, stored: str) -> str:
        """The plain secret, or `Unreadable`."""
        if stored.startswith(LEGACY_FERNET):
            return _legacy_fernet_open(stored)
        if not is_sealed(stored):
            return stored
        try:
            raw = base64.urlsafe_b64decode(stored.removeprefix(MARKER))
        except (binascii.Error, ValueError) as exc:
            raise Unreadable(_FAILURE) from exc
        for secret_key in _keys():
            try:
                return self._aead(secret_key).decrypt(raw[:NONCE_LEN], raw[NONCE_LEN:], self.purpose).decode()
            except (InvalidTag, ValueError):
                continue
        raise Unreadable(_FAILURE)


def is_sealed(value: str) -> bool:
    return value.startswith((MARKER, LEGACY_FERNET))
