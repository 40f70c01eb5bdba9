"""Client secrets of identity providers, sealed at rest (`accounts.sealing`).

Spark Portal must present an OIDC client secret to the organization's IdP, so it cannot keep only a hash of
it (as it does with its own secrets): it keeps it sealed with a key derived from `SECRET_KEY`. After
rotating `SECRET_KEY`, keep the old key in `SECRET_KEY_FALLBACKS` until every connection's secret has
been entered again.
"""

from __future__ import annotations

from accounts.sealing import Sealer

CLIENT_SECRETS = Sealer(purpose=b"spark-portal identity provider client secret")

MAX_SECRET_LENGTH = 100
"""Longer secrets would not fit allauth's 191-character column once sealed."""
