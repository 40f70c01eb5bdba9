"""The SCIM token format: `spkscim_…`, the construction of personal access tokens
(`accounts.tokens.TokenFormat`) with its own marker and its own HMAC salt."""

from __future__ import annotations

from accounts.tokens import TokenFormat

SCIM_TOKENS = TokenFormat(marker="spkscim_", salt="spark-portal.scim-token")
MARKER = SCIM_TOKENS.marker
