"""What the insights tools keep: saved audiences, chats (a follow-up's context) and stated insights."""

from __future__ import annotations

import json
import secrets

from django.db import models


def _public_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_audience_id() -> str:
    return _public_id("aud")


def new_chat_id() -> str:
    return _public_id("chat")


def new_insight_id() -> str:
    return _public_id("ins")


class SavedAudience(models.Model):
    """An audience saved and shared inside an organization ("docked" in chat_gwi)."""

    id = models.CharField(primary_key=True, max_length=24, default=new_audience_id, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="audiences")
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="saved_audiences")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    expression = models.JSONField(help_text='e.g. {"and": [{"audience": "gen_z"}, {"gender": "female"}]}')
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    @property
    def expression_json(self) -> str:
        return json.dumps(self.expression)


class ChatRecord(models.Model):
    """A chat_gwi conversation: the context a follow-up inherits."""

    id = models.CharField(primary_key=True, max_length=24, default=new_chat_id, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="chats")
    user = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL)
    context = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.id


class InsightRecord(models.Model):
    """One insight chat_gwi stated: enough to recompute it exactly in explore_insight_gwi."""

    id = models.CharField(primary_key=True, max_length=24, default=new_insight_id, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="insights")
    chat = models.ForeignKey(ChatRecord, null=True, on_delete=models.CASCADE, related_name="insights")
    text = models.TextField()
    spec = models.JSONField(help_text="dataset, question, datapoint, audience, locations, waves, labels")
    metrics = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.id
