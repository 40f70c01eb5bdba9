"""Secrets at rest (accounts/sealing.py): one format, one failure (`Unreadable`), and the values the
two earlier modules stored still open."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.mfa import MFA_SECRETS
from accounts.sealing import Sealer, Unreadable, is_sealed
from identity.sealing import CLIENT_SECRETS

GOLDEN_KEY = "golden-secret-key-for-the-sealing-test-0123456789abcdefghij"
OLD_CLIENT_SECRET = "sealed:v1:Fg7EqFbOcEF9FiX9G46nIJQx2v7efGPseSRV11pq1vkhi_6bV8T1u9bz7g=="
"""`identity.sealing.seal("client-secret-1")` under GOLDEN_KEY, by the module before this one."""
OLD_MFA_SECRET = (
    "fernet1:gAAAAABrF0z4GOr2MiYZHrHA0AaR8LH-WYuFVWd0tgn58tLfa4ngouvLQ96fnzD-TqmBKZBCiDtkQZhk5jqEn61d6pQttxE6"
    "MTtxELqRsbOwrhqHY-t4oDg="
)
"""`MFAAdapter().encrypt("JBSWY3DPEHPK3PXP")` under GOLDEN_KEY, when MFA secrets were sealed with Fernet."""
OTHER_KEY = "a-brand-new-secret-key-that-is-long-enough-for-the-checks-0123456789"


def test_an_sso_client_secret_sealed_by_the_earlier_module_still_opens(settings: Any) -> None:
    settings.SECRET_KEY = GOLDEN_KEY
    assert CLIENT_SECRETS.unseal(OLD_CLIENT_SECRET) == "client-secret-1"


def test_an_mfa_secret_sealed_with_fernet_still_opens(settings: Any) -> None:
    settings.SECRET_KEY = GOLDEN_KEY
    assert MFA_SECRETS.unseal(OLD_MFA_SECRET) == "JBSWY3DPEHPK3PXP"


def test_an_earlier_value_opens_with_the_old_key_kept_as_a_fallback(settings: Any) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [GOLDEN_KEY]
    assert CLIENT_SECRETS.unseal(OLD_CLIENT_SECRET) == "client-secret-1"
    assert MFA_SECRETS.unseal(OLD_MFA_SECRET) == "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize("stored", [OLD_CLIENT_SECRET, OLD_MFA_SECRET])
def test_a_value_no_key_opens_is_an_error_never_an_empty_secret(settings: Any, stored: str) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, []
    with pytest.raises(Unreadable, match="SECRET_KEY_FALLBACKS"):
        CLIENT_SECRETS.unseal(stored)


@pytest.mark.parametrize("damaged", ["sealed:v1:", "sealed:v1:!!!", "sealed:v1:AAAA", "fernet1:not-a-token"])
def test_a_damaged_value_is_an_error(damaged: str) -> None:
    with pytest.raises(Unreadable):
        CLIENT_SECRETS.unseal(damaged)


def test_a_new_value_is_sealed_and_differs_each_time() -> None:
    sealed = MFA_SECRETS.seal("JBSWY3DPEHPK3PXP")
    assert sealed.startswith("sealed:v1:")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert MFA_SECRETS.seal("JBSWY3DPEHPK3PXP") != sealed
    assert MFA_SECRETS.unseal(sealed) == "JBSWY3DPEHPK3PXP"


def test_a_value_sealed_for_one_purpose_does_not_open_as_another() -> None:
    with pytest.raises(Unreadable):
        CLIENT_SECRETS.unseal(MFA_SECRETS.seal("JBSWY3DPEHPK3PXP"))


def test_new_values_open_after_a_rotation_with_the_old_key_kept(settings: Any) -> None:
    sealed = Sealer(purpose=b"a test purpose").seal("s3cret")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = OTHER_KEY
    assert Sealer(purpose=b"a test purpose").unseal(sealed) == "s3cret"


def test_values_stored_before_sealing_are_read_as_they_are() -> None:
    assert not is_sealed("legacy-plain")
    assert CLIENT_SECRETS.unseal("legacy-plain") == "legacy-plain"


def test_no_secret_stays_no_secret() -> None:
    assert CLIENT_SECRETS.seal("") == ""
