"""Writes: SCIM tokens (created and revoked by an organization admin or an operator), and the people
an organization's identity provider creates, changes, deactivates and deletes through /scim/v2.

Deactivation (`active: false`) and deletion end the person's access to the organization at once,
through the service the console and the API call (`administration.access_end.person_access_end`):
membership removed, personal access tokens revoked, connected assistants and their OAuth grants
revoked, sessions ended, access epoch bumped (every worker refuses their next request). The
audit trail names the SCIM token that did it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from scim2_models import InvalidValueException, MutabilityException, UniquenessException

from accounts.claims import claim_refusal, held_elsewhere, may_give_address
from accounts.models import (
    EmailDomain,
    Membership,
    Organization,
    Role,
    User,
    no_control_characters,
    normalize_email,
)
from administration.access_end import Ended, Reach, person_access_end
from audit.actions import Action
from audit.actors import as_actor
from audit.services import Origin, audit_record
from scim.models import ScimToken, ScimUser
from scim.resources import User as UserResource
from scim.selectors import Provisioned, provisioned_many
from scim.tokens import SCIM_TOKENS

logger = logging.getLogger(__name__)


# -- SCIM tokens ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedScimToken:
    """A freshly issued SCIM token: the row and the secret, which exists only in this object."""

    token: ScimToken
    secret: str


def _by(actor: User | None) -> str:
    return as_actor(actor).label


def _token_detail(token: ScimToken) -> dict[str, object]:
    """What the audit trail keeps about a SCIM token: never its secret or digest."""
    return {"scim_token": token.pk, "name": token.name, "prefix": token.display_prefix}


@transaction.atomic
def scim_token_create(
    *, organization: Organization, name: str, actor: User | None, origin: Origin | None
) -> IssuedScimToken:
    """Issue a SCIM token for the organization's identity provider; the secret is returned once."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the token a name, e.g. the identity provider that will use it.")
    no_control_characters(name)
    secret, prefix = SCIM_TOKENS.generate()
    token = ScimToken.objects.create(
        organization=organization, name=name[:100], prefix=prefix, digest=SCIM_TOKENS.digest(secret), created_by=actor
    )
    audit_record(
        action=Action.SCIM_TOKEN_CREATED,
        summary=f"{_by(actor)} created the SCIM token “{token.name}” ({token.display_prefix}…)",
        organization=organization,
        actor=actor,
        origin=origin,
        detail=_token_detail(token),
    )
    logger.info("SCIM token %s created for organization %s", token.display_prefix, organization.pk)
    return IssuedScimToken(token=token, secret=secret)


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: User | None, origin: Origin | None) -> ScimToken:
    """Revoke a SCIM token: its next request is refused. Revoking it again changes nothing."""
    if not ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        token.refresh_from_db(fields=["revoked_at"])
        return token
    token.refresh_from_db(fields=["revoked_at"])
    audit_record(
        action=Action.SCIM_TOKEN_REVOKED,
        summary=f"{_by(actor)} revoked the SCIM token “{token.name}” ({token.display_prefix}…)",
        organization=token.organization,
        actor=actor,
        origin=origin,
        detail=_token_detail(token),
    )
    logger.info("SCIM token %s revoked", token.display_prefix)
    return token


def scim_token_touch(*, token_id: int, now: dt.datetime) -> None:
    """Record use (a plain UPDATE of a column that grants nothing)."""
    ScimToken.objects.filter(pk=token_id).update(last_used_at=now)


# -- what the identity provider says about a person ----------------------------------------------
def _scim_detail(user: User, **extra: Any) -> dict[str, Any]:
    """The person an identity provider's action was about (the token that acted joins it as the
    event's actor: `ScimToken.as_actor`)."""
    return {"email": user.email, "user": user.pk, **extra}


def _checked_email(organization: Organization, user_name: str | None) -> str:
    """The email address a userName stands for, if it may sign in for the organization; else 400."""
    email = normalize_email(user_name or "")
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidValueException(
            detail=f"userName must be the person's email address (their sign-in); {user_name!r} is not one."
        ) from None
    domain = email.rsplit("@", 1)[1]
    enabled = sorted(
        EmailDomain.objects.filter(organization=organization, enabled=True).values_list("domain", flat=True)
    )
    if domain not in enabled:
        allowed = ", ".join(enabled) or "none yet"
        raise InvalidValueException(
            detail=f"{domain} is not an enabled email domain of {organization.name} (enabled: {allowed}). "
            "Add the domain in the organization console, or provision an address at an enabled domain."
        )
    return email


def _require_verified(organization: Organization, email: str) -> None:
    """400 unless the address is at a verified domain: only there may the identity provider make an
    account, take one back or move someone (accounts.claims)."""
    if not may_give_address(organization, email):
        domain = email.rsplit("@", 1)[1]
        raise InvalidValueException(
            detail=f"{domain} is not verified for {organization.name} yet, so its identity provider cannot create "
            f"Spark Portal accounts at it or move people to it (it manages the people already in {organization.name}). "
            f"An {organization.name} admin verifies it on the Email domains page (a DNS TXT record)."
        )


def _full_name(resource: UserResource) -> str | None:
    """The name Spark Portal shows: displayName, else name.formatted, else given and family name."""
    name = resource.name
    parts = [name.given_name, name.family_name] if name else []
    for candidate in (resource.display_name, name.formatted if name else None, " ".join(p for p in parts if p)):
        cleaned = " ".join("".join(c if c.isprintable() else " " for c in candidate or "").split())
        if cleaned:
            return cleaned[:150]
    return None


def _kept_attributes(resource: UserResource) -> dict[str, Any]:
    """The attributes Spark Portal keeps as the identity provider sent them (no column of their own)."""
    return resource.model_dump(
        scim_ctx=None, include={"name", "display_name", "emails"}, by_alias=True, exclude_none=True, mode="json"
    )


def _link(organization: Organization, user: User) -> ScimUser:
    """The person's SCIM link in the organization, made for a member the identity provider takes over
    (never a Spark Portal staff account: accounts.claims)."""
    if claim_refusal(organization, user) is not None:
        raise MutabilityException(
            detail=f"{user.email} is managed by Spark Portal's staff, not by {organization.name}'s identity provider; "
            f"an {organization.name} admin can remove them in the organization console."
        )
    link, _ = ScimUser.objects.select_for_update().get_or_create(
        organization=organization, user=user, defaults={"active": True}
    )
    return link


def _reload(organization: Organization, user: User) -> Provisioned:
    return provisioned_many(organization, [User.objects.get(pk=user.pk)])[0]


# -- deactivation and re-activation ---------------------------------------------------------------
def _deprovision(*, actor: ScimToken, link: ScimUser, origin: Origin | None, verb: str) -> Ended:
    """End everything the person holds in the organization (`administration.access_end`, in the SCIM
    token's name); the deactivation itself is audited when anything ended."""
    organization, user = actor.organization, link.user
    ended = person_access_end(
        organization=organization, user=user, actor=actor.as_actor(), origin=origin, reach=Reach.EVERYTHING
    )
    link.deprovisioned_at, link.deprovisioned_by = timezone.now(), actor.name
    if ended:
        audit_record(
            action=Action.SCIM_USER_DEACTIVATED,
            summary=f"{actor.actor_label} {verb} {user.email}: {'membership ended, ' if ended.role else ''}"
            f"{ended.tokens} token{pluralize(ended.tokens)} and {len(ended.clients)} "
            f"assistant{pluralize(len(ended.clients))} revoked, "
            f"{ended.sessions} session{pluralize(ended.sessions)} ended",
            organization=organization,
            actor=actor.as_actor(),
            origin=origin,
            detail=_scim_detail(
                user,
                role=ended.role,
                tokens_revoked=ended.tokens,
                clients_revoked=list(ended.clients),
                sessions=ended.sessions,
            ),
        )
        logger.info("SCIM deactivated user %s in organization %s", user.pk, organization.pk)
    return ended


def _reprovision(*, actor: ScimToken, link: ScimUser, origin: Origin | None) -> None:
    """Make the person a member again (tokens stay revoked: they make new ones).

    A member, whatever role they had: the organization's records no longer say more (the membership
    that held the role is gone, and a console demotion or removal since may have been the reason).
    An admin makes them an admin again in the console."""
    organization, user = actor.organization, link.user
    _, created = Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": Role.MEMBER})
    link.deprovisioned_at, link.deprovisioned_by = None, ""
    if created:
        audit_record(
            action=Action.SCIM_USER_REACTIVATED,
            summary=f"{actor.actor_label} re-activated {user.email} as member",
            organization=organization,
            actor=actor.as_actor(),
            origin=origin,
            detail=_scim_detail(user, role=Role.MEMBER),
        )


def _activate(*, actor: ScimToken, link: ScimUser, active: bool | None, origin: Origin | None) -> None:
    """Follow the identity provider's `active`: true provisions, false deprovisions, absent changes nothing."""
    member = Membership.objects.filter(organization=actor.organization, user=link.user).exists()
    if active is True and not member:
        _reprovision(actor=actor, link=link, origin=origin)
    elif active is False and (member or link.active is not False):
        _deprovision(actor=actor, link=link, origin=origin, verb="deactivated")
    link.active = active


# -- the SCIM operations --------------------------------------------------------------------------
def _refuse_taken(organization: Organization, user: User) -> None:
    """409 when the address is someone the organization already has, someone of another organization,
    or any other account its identity provider may not take over (accounts.claims)."""
    if provisioned_many(organization, [user]):
        raise UniquenessException(
            detail=f"{user.email} is already a person of {organization.name} (id {user.pk}); "
            f'find them with filter=userName eq "{user.email}".'
        )
    if held_elsewhere(user, organization):
        raise UniquenessException(detail=f"{user.email} belongs to another organization in Spark Portal.")
    if claim_refusal(organization, user) is not None:
        # Staff accounts get the same words as anyone else's: an identity provider learns nothing more.
        raise UniquenessException(
            detail=f"{user.email} already has a Spark Portal account that is not {organization.name}'s, so its "
            "identity "
            f"provider cannot take it over. An {organization.name} admin can invite {user.email}; once they "
            "accept, the identity provider manages them."
        )


@transaction.atomic
def scim_user_create(*, actor: ScimToken, resource: UserResource, origin: Origin | None) -> Provisioned:
    """POST /Users: create the person (or take back an account its identity provider created and then
    deleted: accounts.claims), make them a member unless `active` is false, and keep what the
    identity provider sent."""
    organization = actor.organization
    email = _checked_email(organization, resource.user_name)
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        _refuse_taken(organization, user)
    _require_verified(organization, email)
    if user is None:  # signs in through SSO or a reset
        user = User.objects.create_user(email=email, password=None, provisioned_by=organization)
    if (full_name := _full_name(resource)) and full_name != user.full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    link = ScimUser.objects.create(
        organization=organization,
        user=user,
        external_id=(resource.external_id or "")[:255],
        attributes=_kept_attributes(resource),
        active=True if resource.active is None else resource.active,
    )
    if link.active:
        Membership.objects.create(organization=organization, user=user, role=Role.MEMBER)
    audit_record(
        action=Action.SCIM_USER_CREATED,
        summary=f"{actor.actor_label} provisioned {email}" + ("" if link.active else " (inactive)"),
        organization=organization,
        actor=actor.as_actor(),
        origin=origin,
        detail=_scim_detail(user, active=link.active, external_id=link.external_id),
    )
    return _reload(organization, user)


def _email_change(organization: Organization, user: User, user_name: str | None) -> str | None:
    """The new sign-in address a userName asks for (None when unchanged), if it may be taken."""
    if normalize_email(user_name or "") == user.email:
        return None
    email = _checked_email(organization, user_name)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise UniquenessException(detail=f"{email} is already the sign-in of another person.")
    if claim_refusal(organization, user, moving=True) is not None:
        raise MutabilityException(
            detail=f"{user.email} also belongs to another organization, so {organization.name}'s identity "
            "provider cannot change their sign-in address."
        )
    _require_verified(organization, email)
    return email


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The attributes that changed (`active` has its own events: deactivated, re-activated)."""
    return sorted(k for k in (before.keys() | after.keys()) - {"active"} if before.get(k) != after.get(k))


@transaction.atomic
def scim_user_update(
    *, actor: ScimToken, person: Provisioned, resource: UserResource, origin: Origin | None
) -> Provisioned:
    """PUT or PATCH /Users/{id}: `resource` is the person's new state (a PATCH already applied)."""
    organization = actor.organization
    user = User.objects.select_for_update().get(pk=person.user.pk)
    link = _link(organization, user)
    before = {"userName": user.email, "externalId": link.external_id, "active": link.active, **link.attributes}
    fields: list[str] = []
    if email := _email_change(organization, user, resource.user_name):
        user.email, fields = email, [*fields, "email"]
    if (full_name := _full_name(resource)) and full_name != user.full_name:
        user.full_name, fields = full_name, [*fields, "full_name"]
    if fields:
        user.save(update_fields=fields)
    link.external_id = (resource.external_id or "")[:255]
    link.attributes = _kept_attributes(resource)
    _activate(actor=actor, link=link, active=resource.active, origin=origin)
    link.updated_at = timezone.now()
    link.save()
    after = {"userName": user.email, "externalId": link.external_id, "active": link.active, **link.attributes}
    if changed := _changes(before, after):
        audit_record(
            action=Action.SCIM_USER_UPDATED,
            summary=f"{actor.actor_label} updated {user.email}: {', '.join(changed)}",
            organization=organization,
            actor=actor.as_actor(),
            origin=origin,
            detail=_scim_detail(user, changed=changed, **({"previous_email": before["userName"]} if email else {})),
        )
    return _reload(organization, user)


@transaction.atomic
def scim_user_delete(*, actor: ScimToken, person: Provisioned, origin: Origin | None) -> Ended:
    """DELETE /Users/{id}: deactivate the person, then forget what the identity provider said about
    them (they are "not found" from now on). Their account stays, with nothing in the organization:
    an address of another organization, history in the audit trail, a later re-provisioning."""
    organization = actor.organization
    link = _link(organization, person.user)
    ended = _deprovision(actor=actor, link=link, origin=origin, verb="deleted")
    link.delete()
    audit_record(
        action=Action.SCIM_USER_DELETED,
        summary=f"{actor.actor_label} deleted {person.user.email} from {organization.name}",
        organization=organization,
        actor=actor.as_actor(),
        origin=origin,
        detail=_scim_detail(person.user),
    )
    return ended
