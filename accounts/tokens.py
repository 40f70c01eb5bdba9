"""The personal access token format: recognisable, checksummed, stored as prefix + digest.

    spk_ <prefix: 10 base62> <secret: 32 base62> <checksum: 6 base62>

The `spk_` marker and the CRC32 checksum let secret scanners and humans recognise a leaked
token without a database lookup (and reject typos early); the 32 random base62 characters
carry ~190 bits of entropy. Only the prefix (for lookup) and an HMAC-SHA256 digest keyed by
the server's secret are stored; comparison is constant-time.
"""

from __future__ import annotations

import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

MARKER = "spk_"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX_LEN = 10
SECRET_LEN = 32
CHECKSUM_LEN = 6
TOKEN_LEN = len(MARKER) + PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN
_SHAPE = re.compile(rf"^{MARKER}[0-9A-Za-z]{{{PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN}}}$")


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LEN)


@dataclass(frozen=True)
class ParsedToken:
    prefix: str


def generate() -> tuple[str, str]:
    """A new token and its lookup prefix."""
    prefix = _random(PREFIX_LEN)
    body = MARKER + prefix + _random(SECRET_LEN)
    return body + checksum(body), prefix


def parse(raw: str) -> ParsedToken | None:
    """The token's parts if it is well-formed (shape and checksum), else None."""
    if len(raw) != TOKEN_LEN or not _SHAPE.match(raw):
        return None
    body, check = raw[:-CHECKSUM_LEN], raw[-CHECKSUM_LEN:]
    if not hmac.compare_digest(checksum(body), check):
        return None
    return ParsedToken(prefix=raw[len(MARKER) : len(MARKER) + PREFIX_LEN])


def looks_like_token(raw: str) -> bool:
    return raw.startswith(MARKER)


def digest(raw: str) -> str:
    """HMAC-SHA256 of the token, keyed by SECRET_KEY (rotating SECRET_KEY invalidates tokens)."""
    return salted_hmac("spark-portal.personal-access-token", raw, algorithm="sha256").hexdigest()


def matches(raw: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(raw), stored_digest)
