"""Client secrets are stored with a fast salted hash (they are random, not chosen by people); secrets
stored before with Django's slow PBKDF2 still authenticate."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from oauth2_provider.models import Application

from oauth_server.services import organization_client_create
from tests.factories import World

COPILOT = "https://global.consent.azure-apim.net/redirect/spark-acme"


def _refresh_with(application: Application, secret: str) -> str:
    basic = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    data = {"grant_type": "refresh_token", "refresh_token": "not-a-refresh-token"}
    return str(Client().post("/oauth/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}").json()["error"])


@pytest.fixture
def copilot(published: World) -> tuple[Application, str]:
    issued = organization_client_create(
        organization=published.acme, name="Acme Copilot", redirect_uri=COPILOT, actor=published.admin, origin=None
    )
    return issued.client.application, issued.secret


def test_a_new_client_secret_is_stored_with_the_client_secret_hasher(copilot: tuple[Application, str]) -> None:
    application, secret = copilot
    application.refresh_from_db()
    assert application.client_secret.startswith("pbkdf2_sha256_client_secret$1000$")
    assert secret not in application.client_secret
    assert _refresh_with(application, secret) == "invalid_grant"  # authenticated: only the grant is wrong
    assert _refresh_with(application, secret + "x") == "invalid_client"


def test_a_secret_stored_with_the_old_hasher_still_authenticates(
    copilot: tuple[Application, str], settings: object
) -> None:
    application, secret = copilot
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "oauth_server.hashers.ClientSecretHasher",
    ]
    old = make_password(secret, hasher="pbkdf2_sha256")
    Application.objects.filter(pk=application.pk).update(client_secret=old)
    assert _refresh_with(application, secret) == "invalid_grant"
