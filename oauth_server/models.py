"""Connector publication per assistant platform, connected apps (grants), organization clients, used codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from oauth_server.platforms import Platform


class ConnectorPublication(models.Model):
    """Whether an organization's members may connect a given assistant platform."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="publications")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    published = models.BooleanField(default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "platform"], name="publication_unique_per_platform")
        ]

    def __str__(self) -> str:
        state = "published" if self.published else "unpublished"
        return f"{self.get_platform_display()} for {self.organization}: {state}"


class ConnectedApp(models.Model):
    """A user's authorization of one OAuth client, on behalf of one organization."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connected_apps")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connected_apps")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="connections"
    )
    platform = models.CharField(max_length=16, choices=Platform.choices)
    scope = models.TextField(blank=True)
    all_datasets = models.BooleanField(
        default=False,
        help_text="Uses every dataset its organization has, including ones given later: the assistant asked for "
        "no particular dataset. Off: only the datasets its scope names.",
    )
    first_authorized_at = models.DateTimeField(default=timezone.now)
    last_authorized_at = models.DateTimeField(default=timezone.now)
    authorized_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="Where the person allowed it from (the consent's client address)."
    )
    authorized_agent = models.CharField(max_length=200, blank=True, help_text="The browser the person allowed it in.")
    first_token_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was first given an access token (its code exchanged, or an identity assertion grant). "
        "Empty: consented, but the assistant never finished connecting; it is not counted as connected.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)
    last_used_agent = models.CharField(max_length=200, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Kept as history once revoked.")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["platform", "-last_authorized_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application"],
                condition=models.Q(revoked_at__isnull=True),
                name="connected_app_unique_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.name or self.application.client_id} for {self.user}"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    @property
    def connected(self) -> bool:
        """It got an access token: a consent whose code was never exchanged is no connection."""
        return self.first_token_at is not None

    @property
    def label(self) -> str:
        """Its name with its platform said once ("Claude", not "Claude (Claude)")."""
        platform = self.get_platform_display()
        name = (self.application.name or "").strip()
        if not name or name.casefold() == platform.casefold():
            return platform
        return f"{name} ({platform})"


class OrganizationClient(models.Model):
    """A confidential OAuth client an organization admin created (e.g. for Copilot Studio)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="oauth_clients")
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="organization_client",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.application.name} ({self.organization})"


class RedeemedCode(models.Model):
    """A used authorization code (by digest), so that a replay revokes what it issued."""

    code_digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    application = models.ForeignKey(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE)
    redeemed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"code {self.code_digest[:8]}… redeemed {self.redeemed_at:%Y-%m-%d %H:%M}"


class UsedAssertion(models.Model):
    """An identity assertion grant (ID-JAG) already exchanged, by issuer and `jti`, kept until it
    expires: presenting it again is a replay and is refused."""

    issuer = models.CharField(max_length=255)
    jti_digest = models.CharField(max_length=64, help_text="SHA-256 of the assertion's jti.")
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "jti_digest"], name="used_assertion_unique_jti")]

    def __str__(self) -> str:
        return f"assertion {self.jti_digest[:8]}… from {self.issuer}"


class IdJagToken(models.Model):
    """An access token issued for an identity assertion grant, and the identity provider connection
    that vouched for it: turning the connection (or its ID-JAG permission) off, or removing it,
    ends these tokens at once (`identity.services.id_jag_tokens_end`)."""

    access_token = models.OneToOneField(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="id_jag"
    )
    connection = models.ForeignKey("identity.IdentityConnection", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"token {self.access_token_id} via connection {self.connection_id}"


class MetadataClientKeys(models.Model):
    """The public keys of a client whose client ID metadata document declares `private_key_jwt`: its
    `jwks`, or the `jwks_uri` they are read from. Written each time the document is fetched (and
    removed when it no longer declares them); django-oauth-toolkit keeps such a client as public,
    and this row is what makes the token endpoint require its signed assertion
    (`oauth_server.client_assertions`)."""

    client_id = models.CharField(max_length=255, unique=True)
    jwks = models.JSONField(null=True, blank=True)
    jwks_uri = models.CharField(max_length=2000, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "metadata client keys"

    def __str__(self) -> str:
        return f"keys of {self.client_id}"


# --- Assistant policies of an organization (docs/policies.md: assistant approval, lifetimes) -----------


class AssistantPolicy(models.Model):
    """An organization's policies for assistants (OAuth clients): approval of each new client, and the
    lifetimes of what they are issued. No row: today's behaviour (no approval, the server's lifetimes)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="assistant_policy")
    approval_required = models.BooleanField(
        default=False, help_text="Each new assistant client needs an organization admin's approval."
    )
    allowed_clients = models.TextField(
        blank=True,
        help_text="Approved without asking: client IDs, or hosts of client ID metadata documents; one per line.",
    )
    access_token_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="An assistant's access token lifetime in minutes; empty = the server's."
    )
    refresh_token_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many hours an unused refresh token lives; empty = the server's."
    )
    reconsent_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days after which a person must sign in and allow the assistant again."
    )

    def __str__(self) -> str:
        return f"assistant policy of {self.organization}"

    @property
    def allowed(self) -> list[str]:
        return [line.strip() for line in self.allowed_clients.splitlines() if line.strip()]


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class ClientApproval(models.Model):
    """An organization's decision on one assistant client, asked for by the first person who wanted
    to connect it while the organization requires approval."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="client_approvals")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="approvals"
    )
    status = models.CharField(max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "application"], name="client_approval_unique")]

    def __str__(self) -> str:
        return f"{self.application.name or self.application.client_id} in {self.organization}: {self.status}"
