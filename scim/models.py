"""SCIM 2.0 provisioning: organization SCIM tokens, and the people an identity provider provisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from audit.actors import Actor, ActorKind


class ScimToken(models.Model):
    """The bearer token an organization's identity provider (Okta, Entra ID…) calls /scim/v2 with.

    Only a lookup prefix and an HMAC digest are stored; the secret is shown once (`scim.tokens`).
    Whoever holds it acts for the organization: it names the actor in the audit trail."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(max_length=100, help_text="Which identity provider uses it, e.g. 'Okta'.")
    prefix = models.CharField(max_length=16, unique=True, help_text="Public lookup part of the token.")
    digest = models.CharField(max_length=64, help_text="HMAC-SHA256 of the whole token.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"spkscim_{self.prefix}"

    def as_actor(self) -> Actor:
        """This token as the one who acted: the audit trail names it (`actor.label`) and keeps its ID
        and name in the event's detail."""
        detail = {"scim_token": self.pk, "scim_token_name": self.name}
        return Actor(ActorKind.PROVISIONING_TOKEN, f"SCIM token “{self.name}”", detail=detail)

    @property
    def actor_label(self) -> str:
        """How the audit trail names this token as the one who acted."""
        return self.as_actor().label


class ScimUser(models.Model):
    """What an organization's identity provider says about one person: the SCIM attributes Spark Portal has
    no column for, the identifier it uses (externalId), and whether it wants them active.

    Membership is the truth about access: `active: false` removes the membership (and everything
    that came with it); this row stays, so the identity provider can read the person back as
    inactive and re-activate them, as a member (no role is remembered: re-activation restores only
    what the organization's records say, and a removed membership says nothing)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_users")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_links")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    active = models.BooleanField(
        null=True, help_text="What the identity provider last set; empty when it removed the attribute."
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="name, displayName and emails, as sent.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    deprovisioned_by = models.CharField(
        max_length=100, blank=True, help_text="The name of the SCIM token that deactivated them (the doctor says so)."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="scim_user_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.user} provisioned in {self.organization}"
