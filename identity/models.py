"""An organization's identity provider connections (OIDC, SAML), built on allauth's social apps."""

from __future__ import annotations
