"""Who took an action: a person, an organization's provisioning token, an operator's command or Spark Portal staff.

An `Actor` is a value, as an `Origin` is for where an action came from: services take one, record
it in the audit trail (a person as the event's `actor`, a machine by the detail it leaves, e.g. the
provisioning token's name) and name it in summaries with `label`. The audit room knows no model
above it: a provisioning token's actor, its label and detail, is built by the room that owns the
token (the registry, audit/actions.py, names what such detail means).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model


class ActorKind(enum.StrEnum):
    PERSON = "person"
    """Someone signed in: the console, the API with their token, their own pages."""
    STAFF = "staff"
    """Spark Portal staff, in the Django admin."""
    OPERATOR = "operator"
    """A management command run on a server: nobody the portal knows."""
    PROVISIONING_TOKEN = "provisioning_token"
    """An organization's identity provider, through one of its provisioning tokens."""


OPERATOR_LABEL = "an operator"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    """How summaries name them: the person's email, "an operator", a token's name."""
    user: Model | None = None
    """The person (or staff member) who acted: the audit event's `actor`. None for machines."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """What the audit event's detail keeps about a machine that acted (never a secret)."""

    @classmethod
    def person(cls, user: Model) -> Actor:
        return cls(ActorKind.PERSON, str(getattr(user, "email", "")), user=user)

    @classmethod
    def staff(cls, user: Model) -> Actor:
        return cls(ActorKind.STAFF, str(getattr(user, "email", "")), user=user)

    @classmethod
    def operator(cls) -> Actor:
        return cls(ActorKind.OPERATOR, OPERATOR_LABEL)


def as_actor(actor: Actor | Model | None) -> Actor:
    """The actor a service was given: a person's account is that person; nobody is an operator
    (services called without a person are run by management commands or the Django admin)."""
    if isinstance(actor, Actor):
        return actor
    return Actor.person(actor) if actor is not None else Actor.operator()
