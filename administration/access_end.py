"""Ending a person's access to an organization: the one service the console, the management API and
SCIM call, whoever acts (an `Actor`: an admin, an API caller, the organization's SCIM token).

How far it goes is a `Reach`; what it ended comes back as `Ended`. Each thing ended is audited in
the actor's name by the service that owns it: the membership with its tokens (`member.removed`), or
without a membership each token (`token.revoked`), and each assistant (`grant.revoked`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import transaction

from accounts.members import member_remove, working_tokens
from accounts.models import Membership, Organization, User
from accounts.services import access_epoch_bump, token_revoke
from accounts.user_sessions import sessions_end
from administration.services import Impact, live_connections
from audit.actors import Actor
from audit.services import Origin
from oauth_server.services import connection_revoke


class Reach(enum.Enum):
    CREDENTIALS = "credentials"
    """Their tokens and assistants here; they stay a member (the console's "Revoke access")."""
    MEMBERSHIP = "membership"
    """And their membership, never the last admin's (removing a member: the console, the API)."""
    EVERYTHING = "everything"
    """And every portal session of theirs, last admin or not: the organization's identity provider
    is the authority on who works there (SCIM deactivation and deletion)."""


@dataclass(frozen=True)
class Ended:
    """What ending a person's access ended."""

    role: str | None
    """The role of the membership ended (None: no membership was)."""
    tokens: int
    clients: tuple[str, ...]
    """The client IDs of every grant revoked (an assistant allowed but never connected included)."""
    assistants: int
    """The connected assistants among them: the ones that stopped working."""
    sessions: int

    def __bool__(self) -> bool:
        return self.role is not None or bool(self.tokens or self.clients or self.sessions)

    @property
    def impact(self) -> Impact:
        return Impact(people=1, tokens=self.tokens, assistants=self.assistants)


def _tokens_end(organization: Organization, user: User, actor: Actor, origin: Origin | None) -> int:
    tokens = list(working_tokens(organization.pk).filter(user=user).select_related("user", "organization"))
    for token in tokens:
        token_revoke(token=token, actor=actor, origin=origin)
    return len(tokens)


@transaction.atomic
def person_access_end(
    *, organization: Organization, user: User, actor: Actor, origin: Origin | None, reach: Reach
) -> Ended:
    """End the person's access to the organization as far as `reach` goes; every worker refuses their
    next request. Refuses (ValidationError) to remove the last admin, except with `Reach.EVERYTHING`."""
    connections = list(live_connections(organization).filter(user=user))
    membership = None
    if reach is not Reach.CREDENTIALS:
        membership = Membership.objects.filter(organization=organization, user=user).select_related("user").first()
    if membership is not None:
        last_admin = reach is Reach.EVERYTHING
        tokens = member_remove(membership=membership, actor=actor, origin=origin, last_admin=last_admin)
    else:
        tokens = _tokens_end(organization, user, actor, origin)
    for connection in connections:
        connection_revoke(connection=connection, actor=actor, origin=origin)
    sessions = sessions_end(user) if reach is Reach.EVERYTHING else 0
    access_epoch_bump()
    clients = tuple(c.application.client_id for c in connections)
    role = membership.role if membership is not None else None
    return Ended(role, tokens, clients, sum(c.connected for c in connections), sessions)
