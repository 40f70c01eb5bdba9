"""Sealing secrets at rest: the primitive lives in `spark_portal.sealing` (the bottom layer, so the audit
trail, below accounts, seals with it too); its names are kept here for the rooms that import them."""

from spark_portal.sealing import LEGACY_FERNET, MARKER, NONCE_LEN, Sealer, Unreadable, is_sealed

__all__ = ["LEGACY_FERNET", "MARKER", "NONCE_LEN", "Sealer", "Unreadable", "is_sealed"]
