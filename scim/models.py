"""SCIM 2.0 provisioning: organization SCIM tokens."""

from __future__ import annotations
