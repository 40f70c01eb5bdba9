"""An organization's identity provider connections (OIDC, SAML), built on allauth's social apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ConnectionKind(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class IdentityConnection(models.Model):
    """One identity provider an organization signs its people in with.

    It owns one allauth `SocialApp` (provider `openid_connect` or `saml`) whose `provider_id` is
    this connection's `provider_id`: the callback, ACS and metadata URLs are built from it, and
    the social accounts it signs in carry it as their `provider`.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="identity_connections"
    )
    kind = models.CharField(max_length=4, choices=ConnectionKind.choices)
    name = models.CharField(max_length=40, help_text="What people see on the sign-in page, e.g. “Acme Okta”.")
    provider_id = models.SlugField(max_length=60, unique=True, help_text="Part of this connection's URLs.")
    app = models.OneToOneField("socialaccount.SocialApp", on_delete=models.CASCADE, related_name="identity_connection")
    enabled = models.BooleanField(default=True)
    id_jag_enabled = models.BooleanField(
        default=False,
        help_text="The identity provider may issue identity assertion grants (ID-JAG) for Spark.",
    )
    metadata_url = models.URLField(blank=True, help_text="SAML: where the IdP metadata was read from.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_sign_in_at = models.DateTimeField(
        null=True, blank=True, help_text="The last successful sign-in through it (proves it works)."
    )

    class Meta:
        ordering = ["organization__name", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.provider_id})"
