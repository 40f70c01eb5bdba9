"""Writes of the insights tools: saved audiences, chats and the insights chat_gwi stated; and a
dataset's lifecycle (retire, restore, remove: its row, its organizations and its data together)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit.actions import Action
from audit.services import Origin, audit_record
from catalog.models import Dataset
from insights import store
from insights.models import ChatRecord, InsightRecord, SavedAudience
from spark_portal.batches import delete_in_batches
from survey import versions
from survey.catalog import DATASETS_BY_CODE
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
        action=Action.AUDIENCE_CREATED,
        summary=f"{actor.email} saved the audience {audience.name} ({audience.id})",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"id": audience.id, "dataset": dataset.code, "expression": expression},
    )
    return audience


class InsightRow(NamedTuple):
    """A stated insight to store: its sentence, how to recompute it (with the data version), its metrics."""

    text: str
    spec: dict[str, Any]
    metrics: dict[str, Any]


class SavedChat(NamedTuple):
    chat_id: str
    insight_ids: list[str]  # in the order the insights were given


@transaction.atomic
def chat_save(
    *,
    organization_id: int,
    user_id: int | None,
    chat_id: str | None,
    context: dict[str, Any],
    stated: list[InsightRow],
) -> SavedChat:
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
    return SavedChat(chat.id, [row.id for row in rows])


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


# -- a dataset's lifecycle (docs/datasets.md) ---------------------------------------------------


def _by(actor: User | None) -> str:
    """Who did it, for an audit summary: a member of staff, or an operator (management command)."""
    return f"{actor.email} (Spark Portal staff)" if actor is not None else "an operator"


def _staff_only(actor: User | None) -> None:
    if actor is not None and not actor.is_staff:
        raise PermissionDenied("Only Spark Portal's staff retire, restore or remove a dataset.")


@transaction.atomic
def dataset_retire(*, dataset: Dataset, actor: User | None, origin: Origin | None = None) -> bool:
    """Stop offering a dataset: no tool lists it or answers from it, no discovery document names it,
    no new token or assistant is granted it. Its organizations keep it, so insights stated from it
    still open in explore_insight_gwi and `dataset_restore` brings it all back. False if it was retired."""
    _staff_only(actor)
    if dataset.retired_at is not None:
        return False
    dataset.retired_at = timezone.now()
    dataset.save(update_fields=["retired_at"])  # moves the access epoch: every bearer cache reloads
    audit_record(
        action=Action.DATASET_RETIRED,
        summary=f"{_by(actor)} retired the dataset {dataset.code}: no longer offered",
        actor=actor,
        origin=origin,
        detail={"dataset": dataset.code, "organizations": _holders(dataset)},
    )
    return True


@transaction.atomic
def dataset_restore(*, dataset: Dataset, actor: User | None, origin: Origin | None = None) -> bool:
    """Offer a retired dataset again, to the organizations that still hold it. False if it was active."""
    _staff_only(actor)
    if dataset.retired_at is None:
        return False
    dataset.retired_at = None
    dataset.save(update_fields=["retired_at"])
    audit_record(
        action=Action.DATASET_RESTORED,
        summary=f"{_by(actor)} restored the dataset {dataset.code}: offered again",
        actor=actor,
        origin=origin,
        detail={"dataset": dataset.code, "organizations": _holders(dataset)},
    )
    return True


def _holders(dataset: Dataset) -> list[str]:
    return list(dataset.organizations.order_by("slug").values_list("slug", flat=True))


class DatasetHeld(ValidationError):
    """A dataset organizations still hold is not removed unless it is to be taken from them."""


@dataclass(frozen=True)
class DatasetRemoved:
    code: str
    taken_from: list[str]
    """The organizations' slugs it was taken from."""
    saved_audiences: int
    versions: list[str]
    """The data versions removed from this host."""
    shared_versions: list[str]
    """Those removed from the shared store."""
    problem: str = ""
    """Why the data could not all be removed (the row is gone; retention finishes the rest)."""


def dataset_remove(
    *, code: str, take_from_organizations: bool, actor: User | None, origin: Origin | None = None
) -> DatasetRemoved:
    """Remove a dataset for good: take it from the organizations that hold it (only when told to:
    DatasetHeld otherwise, naming how many), delete its row (and the saved audiences on it), then its
    data on this host and in the shared store. Other hosts' copies go at their next retention run.
    Insights stated from it open in explore_insight_gwi as "from a removed dataset".

    A code the database no longer knows but whose data is still here or in the shared store (a
    removal whose data deletion failed, an import that never finished) has that data removed."""
    _staff_only(actor)
    if code in DATASETS_BY_CODE:
        raise ValidationError(
            f"{code} ships with Spark Portal (build_insights would bring it back); retire it instead to stop "
            "offering it."
        )
    deleted = _dataset_delete(code, take_from_organizations, actor, origin)
    if deleted is None and not (store.folder(code).is_dir() or store.shared().version_ids(code)):
        raise ValidationError(f"There is no dataset {code}, nor any data of one.")
    taken, audiences = deleted or ([], 0)
    try:  # the store's pointer first: no host (this one's workers included) pulls it again
        shared = store.remove_shared(code)
    except Exception as error:  # unreachable: the row is gone; running this again removes the data
        return DatasetRemoved(code, taken, audiences, [], [], f"{type(error).__name__}: {error}")
    return DatasetRemoved(code, taken, audiences, store.remove(code), shared)


@transaction.atomic
def _dataset_delete(code: str, take: bool, actor: User | None, origin: Origin | None) -> tuple[list[str], int] | None:
    """Take the dataset from its organizations (each audited in its own trail) and delete its row;
    returns the organizations' slugs and how many saved audiences went with it (None: no such row)."""
    dataset = Dataset.objects.select_for_update().filter(code=code).first()
    if dataset is None:
        return None
    holders = list(dataset.organizations.order_by("slug"))
    if holders and not take:
        raise DatasetHeld(
            f"{code} is held by {len(holders)} organization{'s' if len(holders) != 1 else ''} "
            f"({', '.join(o.slug for o in holders)}). Retire it to stop offering it, or remove it taking it "
            "from them (dataset remove --take-from-organizations; in the admin, “Remove, taking it from "
            "organizations”)."
        )
    for organization in holders:
        organization.datasets.remove(dataset)
        audit_record(
            action=Action.DATASET_TAKEN,
            summary=f"{_by(actor)} took the dataset {code} from {organization.name}: it was removed",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"dataset": code, "reason": "removed"},
        )
    audiences = SavedAudience.objects.filter(dataset=dataset).count()
    audit_record(
        action=Action.DATASET_REMOVED,
        summary=f"{_by(actor)} removed the dataset {code} ({dataset.name}) and its data",
        actor=actor,
        origin=origin,
        detail={
            "dataset": code,
            "name": dataset.name,
            "taken_from": [o.slug for o in holders],
            "saved_audiences": audiences,
        },
    )
    dataset.delete()  # its saved audiences go with it; moves the access epoch
    return [o.slug for o in holders], audiences


def removed_data_prune(*, dry_run: bool = False) -> list[str]:
    """Remove the data of datasets the database no longer knows (removed while this host was away or
    the store unreachable, or an import that never finished), here and in the shared store, once
    nothing can still be publishing it (`store.abandoned`). Returns "<dataset>/<version>" entries
    ("… (shared store)" for the store's); with `dry_run`, what would go."""
    known = set(Dataset.objects.values_list("code", flat=True))
    found: list[str] = []
    for code in store.codes():
        if code not in known and store.abandoned(code, here=True):
            gone = [v.id for v in versions.listing(store.folder(code))] if dry_run else store.remove(code)
            found += [f"{code}/{version} (dataset removed)" for version in gone]
    for code in store.shared_codes():
        if code not in known and store.abandoned(code, here=False):
            gone = store.shared().version_ids(code) if dry_run else store.remove_shared(code)
            found += [f"{code}/{version} (shared store, dataset removed)" for version in gone]
    return found
