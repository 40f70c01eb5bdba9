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
        help_text="The identity provider may issue identity assertion grants (ID-JAG) for Spark Portal.",
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


class SsoRefusal(models.Model):
    """The newest single sign-on of one address the identity provider completed and Spark Portal refused:
    what the connection doctor reports until the person signs in again. Kept here, not read from
    the audit trail, so pruning old audit events changes no finding."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="sso_refusals")
    email = models.CharField(max_length=254, help_text="Lower-case, as the identity provider asserted it.")
    connection = models.CharField(max_length=60, help_text="The connection's provider ID (it may be removed since).")
    reason = models.CharField(max_length=64, help_text="A code of identity.refusals.MESSAGES.")
    refused_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "email"], name="sso_refusal_unique_per_email")]

    def __str__(self) -> str:
        return f"{self.email} refused ({self.reason}) at {self.refused_at:%Y-%m-%d %H:%M}"


class IdJagUse(models.Model):
    """One client's identity assertion grants (ID-JAG) for an organization: how many were issued, the
    last when, and the refusal that stands since the last one issued (the console's single sign-on
    page and the connection doctor read these, never the audit trail)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="id_jag_uses")
    client_id = models.CharField(max_length=255)
    grants = models.PositiveIntegerField(default=0)
    last_granted_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(
        null=True, blank=True, help_text="The newest refusal since the last grant (empty: none stands)."
    )
    refused_through = models.CharField(max_length=40, blank=True, help_text="The connection's name.")
    refused_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "client_id"], name="id_jag_use_unique_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} in {self.organization}: {self.grants} grants"
