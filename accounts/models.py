"""People, organizations, memberships, enabled email domains and personal access tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively everywhere, so they are stored lower-cased."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with email + password, or through an organization's single sign-on (identity/);
    belongs to organizations."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    provisioned_by = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The organization whose identity provider created the account (SCIM or single sign-on), "
        "which may take it back after removing it (accounts.claims).",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1]


class AccessStatus(models.TextChoices):
    TRIAL = "trial", "Trial"
    CONTRACT = "contract", "Contract"
    ENDED = "ended", "Ended"


def no_control_characters(value: str) -> None:
    """Names travel in pages, emails and HTTP headers: a line break or other control character in one
    could forge a header line."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("Use letters, digits, spaces and punctuation only (no line breaks or tabs).")


class Organization(models.Model):
    """A customer. Its MCP access is a status plus a date window; datasets are what it may use."""

    name = models.CharField(max_length=200, validators=[no_control_characters])
    slug = models.SlugField(max_length=80, unique=True)
    access_status = models.CharField(max_length=10, choices=AccessStatus.choices, default=AccessStatus.TRIAL)
    access_starts_on = models.DateField(default=timezone.localdate)
    access_ends_on = models.DateField(null=True, blank=True, help_text="Last day of access; empty = open-ended.")
    datasets = models.ManyToManyField("catalog.Dataset", blank=True, related_name="organizations")
    status_before_end = models.CharField(
        max_length=10,
        choices=AccessStatus.choices,
        blank=True,
        help_text="The status access had when it was ended; restoring brings it back.",
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="Where members are sent when Spark Portal refuses them; empty = the organization's admins.",
    )
    require_sso = models.BooleanField(
        default=False, help_text="People of its email domains must sign in through its identity provider."
    )
    require_mfa = models.BooleanField(
        default=False, help_text="People who sign in with a password must also give a second factor."
    )
    # Policies (docs/policies.md): each enforced by the gates every way in passes (accounts.gates).
    personal_tokens_allowed = models.BooleanField(
        default=True, help_text="Members may create and use personal access tokens (spk_…)."
    )
    token_max_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="The longest a personal access token may live, in days from its creation or last rotation; "
        "empty = Spark Portal's own limit. A longer token is paused past it (not shortened: raising the limit "
        "restores it).",
    )
    daily_calls_per_person = models.PositiveIntegerField(
        null=True, blank=True, help_text="MCP tool calls each member may make per day (UTC); empty = no quota."
    )
    daily_calls_per_organization = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="MCP tool calls all members together may make per day (UTC); empty = no quota.",
    )
    # Audit policies (docs/policies.md, "Every call audited"): kept together, apart from the others.
    call_audit = models.BooleanField(
        default=False, help_text="Record an audit event for every MCP tool call (who, credential, tool, outcome)."
    )
    call_audit_prompts = models.BooleanField(
        default=False, help_text="Also keep the prompt a tool call carried in its audit event."
    )
    audit_retention_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How long the organization's audit events are kept; empty = Spark Portal's own retention.",
    )
    # Connection and network policies (docs/policies.md, "Tools and datasets", "Network").
    tools_off = models.JSONField(
        default=list, blank=True, help_text="MCP tools turned off for the organization's callers (names)."
    )
    platform_datasets = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per assistant platform (its code), the datasets its assistants may use; absent = no limit.",
    )
    token_datasets = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per personal access token (its ID), the datasets it may use; absent = no limit.",
    )
    token_networks = models.JSONField(
        default=list,
        blank=True,
        help_text="CIDR ranges personal access tokens and the management API may be used from; empty = anywhere.",
    )
    assistant_networks = models.JSONField(
        default=list,
        blank=True,
        help_text="CIDR ranges assistants (OAuth) may call Spark Portal from; empty = anywhere.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


VERIFICATION_RECORD_PREFIX = "_spark-verification"
VERIFICATION_VALUE_PREFIX = "spark-domain-verification="


def new_verification_token() -> str:
    """The secret part of a domain's TXT record: 128 random bits, lower-case hex (any DNS host takes it)."""
    return secrets.token_hex(16)


class VerifiedBy(models.TextChoices):
    DNS = "dns", "DNS TXT record"
    STAFF = "staff", "Spark Portal staff"


def clean_domain(text: str) -> str:
    """An email domain as people paste it, the way it is stored: "https://Domain.example/",
    "@domain.example" and "domain.example." are all "domain.example" (any scheme, path, port, user
    part and final dot dropped; lower case)."""
    name = text.strip().lower()
    name = name.split("://", 1)[-1]  # a pasted URL's scheme
    name = name.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]  # its path, query or fragment
    name = name.rsplit("@", 1)[-1]  # an address, or a leading "@"
    return name.split(":", 1)[0].rstrip(".")  # a port; the root's dot


class EmailDomain(models.Model):
    """An email domain whose people may use Spark Portal on behalf of the organization.

    Adding one proves nothing; publishing `txt_value` as a TXT record at `txt_name` does (or Spark Portal's
    staff vouching for it). Until then the organization's identity provider may not make accounts at
    it, claim existing ones or route sign-ins there (accounts.claims, docs/security.md)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(max_length=253)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    verification_token = models.CharField(max_length=64, default=new_verification_token, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_by = models.CharField(max_length=10, choices=VerifiedBy.choices, blank=True, editable=False)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="email_domain_unique_per_org"),
            # One organization owns an enabled domain; others may keep a disabled record of it.
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(enabled=True),
                name="email_domain_enabled_once",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = clean_domain(self.domain)
        if self.pk is not None and self.verified_at is not None and self._moved():
            # Renamed or moved to another organization (staff, in the Django admin): a new claim, proven anew.
            self.verified_at, self.verified_by, self.verification_token = None, "", new_verification_token()
        super().save(*args, **kwargs)

    def _moved(self) -> bool:
        before = EmailDomain.objects.filter(pk=self.pk).values_list("domain", "organization_id").first()
        return before is not None and before != (self.domain, self.organization_id)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def txt_name(self) -> str:
        """Where the organization publishes its proof: a name of its own, so no other TXT record is touched."""
        return f"{VERIFICATION_RECORD_PREFIX}.{self.domain}"

    @property
    def txt_value(self) -> str:
        return f"{VERIFICATION_VALUE_PREFIX}{self.verification_token}"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class PersonalAccessToken(models.Model):
    """A developer's bearer token. Only a lookup prefix and an HMAC digest are stored.

    The secret is `spk_<prefix><random><checksum>`; see `accounts.tokens` for the format.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public lookup part of the token.")
    digest = models.CharField(max_length=64, help_text="HMAC-SHA256 of the whole token.")
    scopes = models.JSONField(default=list)
    all_datasets = models.BooleanField(
        default=False,
        help_text="Uses every dataset its organization has, including ones given later (its dataset scopes are "
        "not consulted). Off: only the datasets its dataset scopes name, as chosen when it was created.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)
    last_used_agent = models.CharField(max_length=200, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True, help_text="When the secret was last replaced.")
    expiry_warned_at = models.DateTimeField(null=True, blank=True, help_text="When its owner was told it expires soon.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (spk_{self.prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"spk_{self.prefix}"

    def clean(self) -> None:
        """However it is edited (the Django admin included), a token never lives longer than allowed."""
        super().clean()
        longest = dt.timedelta(days=max(settings.PAT_EXPIRY_CHOICES_DAYS))
        if self.expires_at and self.created_at and self.expires_at - self.created_at > longest:
            latest = self.created_at + longest
            raise ValidationError(
                {"expires_at": f"A token lives at most {longest.days} days: expire it by {latest:%Y-%m-%d}."}
            )

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active"


class RetiredTokenPrefix(models.Model):
    """The lookup prefix of a secret that rotation replaced: presenting it is refused as "rotated"."""

    token = models.ForeignKey(PersonalAccessToken, on_delete=models.CASCADE, related_name="retired_prefixes")
    prefix = models.CharField(max_length=16, unique=True)
    retired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"spk_{self.prefix}… (rotated {self.retired_at:%Y-%m-%d})"


class Invitation(models.Model):
    """An invitation to join an organization, sent by email; only a digest of its link's key is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def state(self, now: dt.datetime | None = None) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if (now or timezone.now()) >= self.expires_at:
            return "expired"
        return "pending"


class AccessEpoch(models.Model):
    """A single counter bumped by every change that can take access away.

    Bearer checks cache what they read about a token in each worker; each request reads only
    this counter (one indexed row), and any change to it empties every worker's cache, so a
    revocation or gate change takes effect on the very next request everywhere.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"access epoch {self.value}"
