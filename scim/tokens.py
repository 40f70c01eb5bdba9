"""The SCIM token format: recognisable, checksummed, stored as prefix + digest.

    spkscim_ <prefix: 10 base62> <secret: 32 base62> <checksum: 6 base62>

The same construction as personal access tokens (`accounts.tokens`: lookup prefix, ~190 bits of
randomness, CRC32 checksum, HMAC-SHA256 digest keyed by the server's secret), with its own marker
so that neither kind of token can be mistaken for the other, by a person, a secret scanner or the
server, and its own HMAC salt, so that a digest of one kind never matches the other.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

from accounts.tokens import ALPHABET, CHECKSUM_LEN, PREFIX_LEN, SECRET_LEN, checksum

MARKER = "spkscim_"
TOKEN_LEN = len(MARKER) + PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN
_SHAPE = re.compile(rf"^{MARKER}[0-9A-Za-z]{{{PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN}}}$")


@dataclass(frozen=True)
class ParsedScimToken:
    prefix: str


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate() -> tuple[str, str]:
    """A new SCIM token and its lookup prefix."""
    prefix = _random(PREFIX_LEN)
    body = MARKER + prefix + _random(SECRET_LEN)
    return body + checksum(body), prefix


def parse(raw: str) -> ParsedScimToken | None:
    """The token's parts if it is well-formed (shape and checksum), else None."""
    if len(raw) != TOKEN_LEN or not _SHAPE.match(raw):
        return None
    body, check = raw[:-CHECKSUM_LEN], raw[-CHECKSUM_LEN:]
    if not hmac.compare_digest(checksum(body), check):
        return None
    return ParsedScimToken(prefix=raw[len(MARKER) : len(MARKER) + PREFIX_LEN])


def digest(raw: str) -> str:
    """HMAC-SHA256 of the token, keyed by SECRET_KEY (rotating SECRET_KEY invalidates SCIM tokens)."""
    return salted_hmac("spark-portal.scim-token", raw, algorithm="sha256").hexdigest()


def matches(raw: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(raw), stored_digest)
