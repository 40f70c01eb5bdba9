"""Where Spark Portal connects for an identity provider (https, public addresses), what it reads from SAML
metadata, and client secrets sealed at rest."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.exceptions import ValidationError

from accounts.sealing import Unreadable, is_sealed
from identity import idp
from identity.sealing import CLIENT_SECRETS
from tests.fake_idp import SAML_IDP_ENTITY, SAML_IDP_SSO, SamlIdpKeys


@pytest.fixture
def production(settings):
    settings.SPARK_SSO_ALLOW_LOCAL_IDP = False
    return settings


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://idp.example.com/", "does not use https"),
        ("https://127.0.0.1/", "private or local address"),
        ("https://localhost:8443/", "private or local address"),
        ("https://10.1.2.3/", "private or local address"),
        ("https://169.254.169.254/latest/meta-data/", "private or local address"),
        ("https://[::1]/", "private or local address"),
        ("https://user:pw@idp.example.com/", "user name or password"),
        ("ftp://idp.example.com/", "not an http(s) URL"),
        ("https://93.184.215.14/", None),
    ],
)
def test_only_https_to_public_addresses_in_production(production: object, url: str, problem: str | None) -> None:
    found = idp.url_problem(url)
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_local_runs_and_tests_may_use_a_loopback_idp(settings) -> None:
    settings.SPARK_SSO_ALLOW_LOCAL_IDP = True
    assert idp.url_problem("http://127.0.0.1:9000/") is None


def test_the_guarded_session_refuses_before_connecting(production: object) -> None:
    with pytest.raises(idp.RefusedAddress, match="private or local"), idp.guarded_session() as session:
        session.get("https://127.0.0.1:1/")
    assert issubclass(idp.RefusedAddress, requests.RequestException)  # allauth reports it as unreachable


def test_discovery_refuses_a_private_issuer(production: object) -> None:
    with pytest.raises(ValidationError, match="Spark Portal will not connect to that issuer's discovery document"):
        idp.oidc_discover("https://10.0.0.8/realms/acme")


def test_issuer_normalization() -> None:
    assert idp.normalize_issuer(" https://acme.okta.com/ ") == "https://acme.okta.com"
    assert (
        idp.normalize_issuer("https://x.test/tenant/v2.0/.well-known/openid-configuration")
        == "https://x.test/tenant/v2.0"
    )


def test_saml_metadata_gives_the_idp_settings(idp_metadata: str, saml_keys: SamlIdpKeys) -> None:
    found = idp.saml_idp_settings(idp_metadata)
    assert found == {"entity_id": SAML_IDP_ENTITY, "sso_url": SAML_IDP_SSO, "x509cert": saml_keys.cert_body}


def test_saml_metadata_that_spark_cannot_use_is_explained(idp_metadata: str) -> None:
    with pytest.raises(ValidationError, match="signed authentication requests"):
        idp.saml_idp_settings(
            idp_metadata.replace("<md:IDPSSODescriptor ", '<md:IDPSSODescriptor WantAuthnRequestsSigned="true" ')
        )
    without_cert = (
        idp_metadata.split("<md:KeyDescriptor")[0]
        + "<md:SingleSignOnService"
        + idp_metadata.split("<md:SingleSignOnService")[1]
    )
    with pytest.raises(ValidationError, match="signing certificate"):
        idp.saml_idp_settings(without_cert)
    with pytest.raises(ValidationError, match="not SAML IdP metadata"):
        idp.saml_idp_settings("<<<")


def test_client_secrets_are_sealed_and_opened_with_the_secret_key(settings: Any) -> None:
    sealed = CLIENT_SECRETS.seal("client-secret-1")
    assert is_sealed(sealed)
    assert "client-secret-1" not in sealed
    assert CLIENT_SECRETS.unseal(sealed) == "client-secret-1"
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    with pytest.raises(Unreadable):  # the sign-in is refused (secret_unreadable), never tried with ""
        CLIENT_SECRETS.unseal(sealed)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert CLIENT_SECRETS.unseal(sealed) == "client-secret-1"  # rotation with the old key kept as a fallback
