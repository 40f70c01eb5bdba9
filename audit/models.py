"""The audit trail: who did what, when and from where. Every app writes to it; org admins read it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.actions import ACTING_MACHINES, registered
from spark_portal.sealing import Sealer

STREAM_SECRETS = Sealer(b"audit.stream.secret")
"""Seals audit streams' signing secrets at rest (the purpose is part of the key: fixed forever)."""


class AuditEvent(models.Model):
    """One recorded action. Visible to the organization's admins (and to staff in the Django admin)."""

    # String references, not imports: the audit trail sits below every app that records to it.
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64, db_index=True)
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        # The table keeps the name it had when the trail lived in the connectors app, so existing
        # databases moved here without copying a row (audit/migrations/0001_initial.py).
        db_table = "connectors_auditevent"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"

    def machine(self) -> tuple[str, str] | None:
        """Who acted when no person did, as (kind, name): the credential the registry says this
        action names in its detail (`Action.by`), else None."""
        action = registered(self.action)
        by = action.by if action is not None else None
        if by is None and isinstance(self.detail, dict):  # a machine acting through a shared service
            by = next((m for m in ACTING_MACHINES if self.detail.get(m.field)), None)
        name = self.detail.get(by.field) if by is not None and isinstance(self.detail, dict) else None
        return (by.kind, str(name)) if by is not None and name else None

    @property
    def machine_actor(self) -> str:
        """The console's words for who acted when no person did (a credential, its name quoted), or ""."""
        machine = self.machine()
        return f"{machine[0]} “{machine[1]}”" if machine else ""


# -- audit streams (audit/streams.py, docs/policies.md) -----------------------------------------------
class AuditStream(models.Model):
    """Where an organization's audit events are sent (its SIEM's webhook), signed with `secret`."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="audit_stream")
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=200, help_text="The HMAC-SHA256 key deliveries are signed with, sealed (`signing_secret` opens it)."
    )
    enabled = models.BooleanField(default=True)
    delivered = models.PositiveBigIntegerField(default=0, help_text="Events delivered since the stream was made.")
    dropped = models.PositiveBigIntegerField(
        default=0, help_text="Undelivered events dropped, oldest first, because the queue was full."
    )
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"audit stream of organization {self.organization_id} to {self.url}"

    def signing_secret(self) -> str:
        """The secret deliveries are signed with (`spark_portal.sealing.Unreadable` when no key opens it)."""
        return STREAM_SECRETS.unseal(self.secret)

    def signing_secret_set(self, plain: str) -> None:
        """Store `plain` as the signing secret, sealed (saved by the caller)."""
        self.secret = STREAM_SECRETS.seal(plain)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    DEAD = "dead", "Gave up (dead letter)"


class AuditDelivery(models.Model):
    """One event waiting in a stream's queue (the outbox): deleted once its receiver took it, kept as a
    dead letter after the last attempt failed. `event_id` is the event's stable ID, the same on every
    attempt and re-send, for the receiver to drop duplicates by. The delivery refers to its event of
    the trail; the delivery loop builds the JSON it sends from it (`audit.streams.delivery_payload`),
    so a request that records an event writes no second copy of it. An event pruned by its
    organization's retention takes its undelivered deliveries with it."""

    # No index of its own: `audit_delivery_stream` (stream, state, id) serves every lookup by stream.
    stream = models.ForeignKey(AuditStream, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    audit_event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="stream_deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="audit_delivery_due"),
            models.Index(fields=["stream", "state", "id"], name="audit_delivery_stream"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.state}, {self.attempts} attempts)"
