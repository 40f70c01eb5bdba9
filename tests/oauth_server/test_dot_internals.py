"""The django-oauth-toolkit internals Spark Portal relies on (docs/architecture.md lists them) still exist:
an upgrade that moves one fails here, not in an assistant's sign-in."""

from __future__ import annotations

import inspect

import pytest
from oauth2_provider import cimd
from oauth2_provider.models import RefreshToken
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.dynamic_client_registration import DynamicClientRegistrationManagementView


def test_the_hooks_we_override_exist() -> None:
    assert callable(OAuth2Validator._load_application)
    assert callable(DynamicClientRegistrationManagementView._authenticate_registration_request)
    assert callable(AuthorizationView.redirect) and callable(AuthorizationView.error_response)
    assert callable(RefreshToken.revoke_family)
    assert callable(oauth2_settings.oauth2_authorization_server_issuer)


def test_client_metadata_document_internals() -> None:
    # DOT's own document checks, run by our fetcher so that their words reach the authorization page.
    assert callable(cimd._build_application_kwargs)
    with pytest.raises(cimd.CIMDError, match="must be public"):
        cimd._build_application_kwargs({"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["x"]})
    # DOT stores every document client as public (our keys make it authenticate): still so.
    assert "application.client_type = Application.CLIENT_PUBLIC" in inspect.getsource(cimd._fetch_validate_upsert)
    assert "CIMD_FAILURE_BACKOFF_SECONDS" in inspect.getsource(cimd.resolve_cimd_application)


def test_refresh_validation_leaves_the_token_row_on_the_request() -> None:
    assert "request.refresh_token_instance = rt" in inspect.getsource(OAuth2Validator.validate_refresh_token)
    assert "request.refresh_token_instance" in inspect.getsource(OAuth2Validator.get_original_scopes)


def test_the_token_endpoint_reads_the_body_from_request_post() -> None:
    assert "request.POST" in inspect.getsource(OAuthLibCore.extract_body)
