"""People's access: every personal access token and connected assistant of an organization, as rows
an admin can read and act on, each in one state (active, paused, expired, revoked; an assistant
allowed but never connected is pending) with its reason.

"Paused" means the credential itself is fine but a gate refuses it right now (access ended, domain
disabled, platform unpublished, no longer a member): it works again when the gate opens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.gates import MemberFacts, Verdict, credential_verdict, member_facts, token_context
from accounts.models import Organization, PersonalAccessToken, User
from accounts.refusals import State
from accounts.scopes import all_scopes, dataset_access, scope_words
from oauth_server.models import ConnectedApp
from oauth_server.selectors import connection_context

TOKEN = "token"
PENDING = "pending"
"""An assistant allowed whose code was never exchanged: not connected, so not active."""
PENDING_WORDS = "Allowed, but the assistant never finished connecting (it collected no access)."
STATES = (State.ACTIVE, PENDING, State.PAUSED, State.EXPIRED, State.REVOKED)


@dataclass(frozen=True)
class AccessRow:
    kind: str  # TOKEN or a platform value
    kind_label: str
    pk: int
    owner: User
    name: str
    reference: str  # token prefix or client id
    scopes: tuple[str, ...]  # in words
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_used_address: str | None
    last_used_agent: str
    state: str
    reason: str  # why paused, or pending (empty otherwise)
    authorized_address: str | None = None  # an assistant's: where its person allowed it from

    @property
    def key(self) -> str:
        """What the revoke URL names: `token-<pk>` or `assistant-<pk>`."""
        return f"{'token' if self.kind == TOKEN else 'assistant'}-{self.pk}"


class _Gates:
    """Member facts per person, read once per page; each credential's verdict from the one gate list."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.now = timezone.now()
        self._facts: dict[int, MemberFacts] = {}
        self.dataset_codes = list(organization.datasets.offered().values_list("code", flat=True))

    def member(self, user: User) -> MemberFacts:
        if user.pk not in self._facts:
            self._facts[user.pk] = member_facts(user, self.organization)
        return self._facts[user.pk]

    def token(self, token: PersonalAccessToken) -> Verdict:
        return credential_verdict(token_context(token, self.member(token.user), self.now))

    def assistant(self, connection: ConnectedApp) -> Verdict:
        return credential_verdict(connection_context(connection, self.member(connection.user), self.now))


def _words(scopes: list[str], follows: bool, gates: _Gates, vocabulary: dict[str, str]) -> tuple[str, ...]:
    """The credential's access in words, its datasets as it uses them now (all of the organization's
    when it follows the organization)."""
    access = dataset_access(follows=follows, scopes=scopes, organization_codes=gates.dataset_codes)
    return tuple(scope_words(scopes, access, vocabulary, gates.organization.name))


def _token_row(token: PersonalAccessToken, gates: _Gates, vocabulary: dict[str, str]) -> AccessRow:
    verdict = gates.token(token)
    return AccessRow(
        kind=TOKEN,
        kind_label="Personal access token",
        pk=token.pk,
        owner=token.user,
        name=token.name,
        reference=token.display_prefix,
        scopes=_words(token.scopes, token.all_datasets, gates, vocabulary),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        last_used_address=token.last_used_address,
        last_used_agent=token.last_used_agent,
        state=verdict.state,
        reason=verdict.sentence if verdict.state == State.PAUSED else "",
    )


def _assistant_row(connection: ConnectedApp, gates: _Gates, vocabulary: dict[str, str]) -> AccessRow:
    verdict = gates.assistant(connection)
    pending = verdict.state == State.ACTIVE and not connection.connected
    return AccessRow(
        kind=connection.platform,
        kind_label=connection.get_platform_display(),
        pk=connection.pk,
        owner=connection.user,
        name=connection.label,
        reference=connection.application.client_id,
        scopes=_words(connection.scopes, connection.all_datasets, gates, vocabulary),
        created_at=connection.first_authorized_at,
        expires_at=None,
        last_used_at=connection.last_used_at,
        last_used_address=connection.last_used_address,
        last_used_agent=connection.last_used_agent,
        state=PENDING if pending else verdict.state,
        reason=verdict.sentence if verdict.state == State.PAUSED else (PENDING_WORDS if pending else ""),
        authorized_address=connection.authorized_address,
    )


def access_rows(
    organization: Organization, *, person: int | None = None, kind: str = "", state: str = ""
) -> list[AccessRow]:
    """Every credential of the organization, newest first, filtered by person, kind and state."""
    tokens = PersonalAccessToken.objects.filter(organization=organization).select_related("user")
    connections = ConnectedApp.objects.filter(organization=organization).select_related("user", "application")
    if person:
        tokens, connections = tokens.filter(user_id=person), connections.filter(user_id=person)
    if kind == TOKEN:
        connections = connections.none()
    elif kind:
        tokens, connections = tokens.none(), connections.filter(platform=kind)
    gates, vocabulary = _Gates(organization), all_scopes()
    rows = [_token_row(t, gates, vocabulary) for t in tokens]
    rows += [_assistant_row(c, gates, vocabulary) for c in connections]
    if state in STATES:
        rows = [r for r in rows if r.state == state]
    return sorted(rows, key=lambda r: r.created_at, reverse=True)
