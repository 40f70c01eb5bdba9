"""The organization's assistant policies at the identity assertion grant (ID-JAG): the organization's
access token lifetime, and approval of each new client (no consent page: refused in words, until an
admin approves it)."""

from __future__ import annotations

from oauth_server.assistant_policies import AssistantPolicies, assistant_policies_set
from oauth_server.models import ApprovalStatus, ClientApproval
from tests.identity.test_id_jag import Setup, jwks, refused, setup  # noqa: F401 (the fixtures)


def _set(s: Setup, wanted: AssistantPolicies) -> None:
    assistant_policies_set(organization=s.world.acme, wanted=wanted, actor=None, origin=None)


def test_the_access_token_lives_as_long_as_the_organization_allows(setup: Setup) -> None:  # noqa: F811
    _set(setup, AssistantPolicies(access_token_minutes=5))
    body = setup.exchange(setup.mint()).json()
    assert body["expires_in"] == 300, body


def test_an_unapproved_client_is_refused_until_approved(setup: Setup) -> None:  # noqa: F811
    _set(setup, AssistantPolicies(approval_required=True))
    refused(setup.exchange(setup.mint()), "invalid_grant", "waiting for an admin of Acme")
    ClientApproval.objects.create(
        organization=setup.world.acme, application=setup.client, status=ApprovalStatus.APPROVED
    )
    assert setup.exchange(setup.mint()).status_code == 200
