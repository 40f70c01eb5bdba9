"""The one format of Spark Portal's own bearer secrets: recognisable, checksummed, stored as prefix + digest.

    <marker> <prefix: 10 base62> <secret: 32 base62> <checksum: 6 base62>

Personal access tokens are `spk_…` (`PERSONAL`, below); SCIM tokens are `spkscim_…` (`scim.tokens`).
The marker and the CRC32 checksum let secret scanners and humans recognise a leaked token without a
database lookup (and reject typos early); the 32 random base62 characters carry ~190 bits of entropy.
Only the prefix (for lookup) and an HMAC-SHA256 digest keyed by the server's secret are stored;
comparison is constant-time. Each kind has its own marker, so that neither can be mistaken for the
other by a person, a secret scanner or the server, and its own HMAC salt, so that a digest of one kind
never matches the other. Rotating SECRET_KEY invalidates every token.
"""

from __future__ import annotations

import hmac
import re
import secrets
import zlib
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX_LEN = 10
SECRET_LEN = 32
CHECKSUM_LEN = 6


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


@dataclass(frozen=True)
class TokenFormat:
    """One kind of token: its marker and the salt of its stored digest (both fixed forever: changing
    either would invalidate every token of the kind already issued)."""

    marker: str
    salt: str
    _shape: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = re.compile(rf"^{re.escape(self.marker)}[0-9A-Za-z]{{{PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN}}}$")
        object.__setattr__(self, "_shape", shape)

    @property
    def length(self) -> int:
        return len(self.marker) + PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN

    def generate(self) -> tuple[str, str]:
        """A new token and its lookup prefix."""
        prefix = _random(PREFIX_LEN)
        body = self.marker + prefix + _random(SECRET_LEN)
        return body + checksum(body), prefix

    def parse(self, raw: str) -> ParsedToken | None:
        """The token's parts if it is well-formed (marker, shape and checksum), else None."""
        if len(raw) != self.length or not self._shape.match(raw):
            return None
        body, check = raw[:-CHECKSUM_LEN], raw[-CHECKSUM_LEN:]
        if not hmac.compare_digest(checksum(body), check):
            return None
        return ParsedToken(prefix=raw[len(self.marker) : len(self.marker) + PREFIX_LEN])

    def looks_like(self, raw: str) -> bool:
        return raw.startswith(self.marker)

    def digest(self, raw: str) -> str:
        """HMAC-SHA256 of the token, keyed by SECRET_KEY and salted by the kind."""
        return salted_hmac(self.salt, raw, algorithm="sha256").hexdigest()

    def matches(self, raw: str, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest(raw), stored_digest)


PERSONAL = TokenFormat(marker="spk_", salt="spark-portal.personal-access-token")
"""Personal access tokens. The module-level names below are this format's, for its many callers."""

MARKER = PERSONAL.marker
TOKEN_LEN = PERSONAL.length
generate = PERSONAL.generate
parse = PERSONAL.parse
looks_like_token = PERSONAL.looks_like
digest = PERSONAL.digest
matches = PERSONAL.matches
