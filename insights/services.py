"""Writes of the insights tools: saved audiences, chats and the insights chat_gwi stated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit.services import Origin, audit_record
from catalog.models import Dataset
from insights import store
from insights.models import ChatRecord, InsightRecord, SavedAudience
from spark_portal.batches import delete_in_batches
from survey.expressions import ExpressionError, validate


def audience_expression_check(dataset: Dataset, expression: Any) -> None:
    """ValidationError saying what is wrong with an audience expression for this dataset, if anything
    (the console's form and the management API both ask here)."""
    spec = store.spec(dataset.code)
    if spec is None:
        raise ValidationError(f"The dataset {dataset.code} has no survey definition.")
    try:
        validate(expression, spec)
    except ExpressionError as exc:
        raise ValidationError(f"{exc}.") from None


def saved_audience_create(
    *,
    organization: Organization,
    dataset: Dataset,
    name: str,
    description: str,
    expression: dict[str, Any],
    actor: User,
    origin: Origin | None = None,
) -> SavedAudience:
    """Save an audience for the organization (its members dock it in chat_gwi by ID)."""
    if not name.strip():
        raise ValidationError("Give the audience a name.")
    audience_expression_check(dataset, expression)
    audience = SavedAudience.objects.create(
        organization=organization,
        dataset=dataset,
        name=name.strip(),
        description=description.strip(),
        expression=expression,
        created_by=actor,
    )
    audit_record(
        action="audience.created",
        summary=f"{actor.email} saved the audience {audience.name} ({audience.id})",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"id": audience.id, "dataset": dataset.code, "expression": expression},
    )
    return audience


@transaction.atomic
def chat_save(
    *,
    organization_id: int,
    user_id: int | None,
    chat_id: str | None,
    context: dict[str, Any],
    stated: list[tuple[str, dict[str, Any], dict[str, Any]]],
) -> tuple[str, list[str]]:
    """Store a chat's context (new or updated) and its stated insights (text, spec, metrics).

    Returns the chat ID and the insights' IDs, in order. One INSERT for all the insights.
    """
    if chat_id is None:
        chat = ChatRecord.objects.create(organization_id=organization_id, user_id=user_id, context=context)
    else:
        chat = ChatRecord(id=chat_id, organization_id=organization_id, user_id=user_id, context=context)
        ChatRecord.objects.filter(id=chat_id, organization_id=organization_id).update(
            context=context, updated_at=timezone.now()
        )
    rows = [
        InsightRecord(organization_id=organization_id, chat=chat, text=text, spec=spec, metrics=metrics)
        for text, spec, metrics in stated
    ]
    InsightRecord.objects.bulk_create(rows)  # ids are set client-side
    return chat.id, [row.id for row in rows]


@dataclass(frozen=True)
class ChatsPruned:
    chats: int
    insights: int


def chats_prune(*, older_than: dt.datetime, dry_run: bool = False, batch_size: int = 1000) -> ChatsPruned:
    """Delete the chats last active before `older_than` with the insights they stated, and insights
    without a chat stated before then; `batch_size` chats per transaction, so neither memory nor
    one transaction grows with the table. With `dry_run`, count what would go and delete nothing.

    A chat is judged by its last activity (`updated_at`), not its start: a conversation still in use
    keeps its context and every insight in it. An insight is never stated after its chat's last
    activity, so no insight newer than `older_than` is deleted. Nothing else in the database refers
    to an insight (saved audiences are expressions, not insights), so nothing saved breaks; a link
    to a deleted insight's page, or its ID given to explore_insight_gwi, then says "not found".
    """
    chats = ChatRecord.objects.filter(updated_at__lt=older_than)
    loose = InsightRecord.objects.filter(chat__isnull=True, created_at__lt=older_than)
    if dry_run:
        stated = InsightRecord.objects.filter(chat__updated_at__lt=older_than).count()
        return ChatsPruned(chats=chats.count(), insights=stated + loose.count())
    deleted = ChatsPruned(chats=0, insights=0)
    while ids := list(chats.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        deleted = _chats_delete(ids, deleted)
    return ChatsPruned(deleted.chats, deleted.insights + delete_in_batches(loose, batch_size))


@transaction.atomic
def _chats_delete(ids: list[str], so_far: ChatsPruned) -> ChatsPruned:
    insights = InsightRecord.objects.filter(chat_id__in=ids).delete()[0]
    chats = ChatRecord.objects.filter(pk__in=ids).delete()[0]
    return ChatsPruned(chats=so_far.chats + chats, insights=so_far.insights + insights)
