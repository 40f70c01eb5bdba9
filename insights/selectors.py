"""Reads of the insights tools' records, scoped to an organization or a member."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organization, User
from catalog.models import Dataset
from insights.models import ChatRecord, InsightRecord, SavedAudience


def saved_audiences(organization: Organization) -> QuerySet[SavedAudience]:
    return SavedAudience.objects.filter(organization=organization).select_related("dataset", "created_by")


def dataset_for_member(user: User, code: str) -> Dataset:
    """A dataset of one of the user's organizations, or 404."""
    return get_object_or_404(Dataset.objects.filter(organizations__memberships__user=user).distinct(), code=code)


def insight_for_member(user: User, insight_id: str) -> InsightRecord:
    """An insight stated for one of the user's organizations, or 404."""
    return get_object_or_404(
        InsightRecord.objects.select_related("organization"), id=insight_id, organization__memberships__user=user
    )


def chat_context(*, organization_id: int, chat_id: str) -> dict[str, Any] | None:
    """What a chat of this organization remembers for its follow-ups, or None."""
    chat = ChatRecord.objects.filter(id=chat_id, organization_id=organization_id).only("context").first()
    return None if chat is None else chat.context


def saved_audiences_by_id(*, organization_id: int, ids: list[str]) -> list[SavedAudience]:
    """The organization's saved audiences among `ids` (others are simply absent)."""
    if not ids:
        return []
    return list(SavedAudience.objects.filter(organization_id=organization_id, id__in=ids).select_related("dataset"))


def insight_record(*, organization_id: int, insight_id: str) -> InsightRecord | None:
    """An insight stated for this organization, or None."""
    return InsightRecord.objects.filter(id=insight_id, organization_id=organization_id).first()
