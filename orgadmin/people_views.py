"""The console's people pages: members and invitations, people's access, the connection doctor."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import org_admin_required
from accounts.forms import InvitationForm
from accounts.http import AuthenticatedRequest
from accounts.members import (
    MemberRow,
    SentInvitation,
    invitation_revoke,
    member_invite,
    member_role_set,
    member_rows,
    members,
    pending_invitations,
)
from accounts.mfa import member_mfa_reset
from accounts.models import Invitation, Membership, Organization, PersonalAccessToken, Role, User
from accounts.selectors import DomainGap, domain_gaps
from administration.access_end import Reach, person_access_end
from administration.services import (
    admin_token_revoke,
    connected_assistants,
    live_connections,
    member_impact,
)
from audit.actors import Actor
from audit.services import Origin
from doctor.diagnosis import diagnose
from oauth_server.platforms import Platform
from oauth_server.services import connection_revoke
from orgadmin.access import STATES, TOKEN, access_rows
from spark_portal.public_url import public_base_url
from spark_portal.untrusted import row_id, storable


def _invited_message(request: AuthenticatedRequest, sent: SentInvitation) -> None:
    invitation = sent.invitation
    if sent.emailed:
        messages.success(request, f"Invited {invitation.email}: the link works until {invitation.expires_at:%Y-%m-%d}.")
    else:
        messages.error(
            request,
            f"The invitation to {invitation.email} is saved, but the email could not be sent. Try Resend later.",
        )
    if not sent.domain_enabled:
        domain = invitation.email.rsplit("@", 1)[-1]
        messages.warning(
            request,
            f"{domain} is not enabled for {invitation.organization.name}: once {invitation.email} joins, they cannot "
            "use Spark Portal until it is. The fix is under “Not enabled” below.",
        )


@org_admin_required
def member_list(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Members (searchable by email or name, filterable by role), pending invitations, and the invite form."""
    query, role = storable(request.GET.get("q", "")).strip()[:100], storable(request.GET.get("role", ""))
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = member_invite(
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
                origin=Origin.of(request),
                base_url=public_base_url(request),
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            _invited_message(request, sent)
            return redirect("orgadmin:members", slug=organization.slug)
    page = Paginator(members(organization, query=query, role=role), 50).get_page(request.GET.get("page"))
    assistants = _assistant_counts(organization)
    rows, invitations = member_rows(page.object_list), list(pending_invitations(organization))
    gaps = domain_gaps(organization, [r.membership.user.email for r in rows] + [i.email for i in invitations])
    context = {
        "organization": organization,
        "form": form,
        "rows": [
            (row, assistants.get(row.membership.user_id, 0), _gap(gaps, row.membership.user.email)) for row in rows
        ],
        "gaps": _gap_counts(gaps, rows, invitations),
        "invitation_days": settings.SPARK_INVITATION_DAYS,
        "page": page,
        "query": query,
        "role": role,
        "roles": Role.choices,
        "invitations": [(i, _gap(gaps, i.email)) for i in invitations],
    }
    return render(request, "orgadmin/members.html", context, status=400 if form.errors else 200)


def _gap(gaps: dict[str, DomainGap], email: str) -> DomainGap | None:
    return gaps.get(email.rsplit("@", 1)[-1].lower())


def _gap_counts(
    gaps: dict[str, DomainGap], rows: list[MemberRow], invitations: list[Invitation]
) -> list[tuple[DomainGap, int, int]]:
    """Each domain not enabled, with how many members (on this page) and pending invitations are at it."""
    return [
        (
            gap,
            sum(_gap(gaps, r.membership.user.email) is gap for r in rows),
            sum(_gap(gaps, i.email) is gap for i in invitations),
        )
        for gap in gaps.values()
    ]


def _assistant_counts(organization: Organization) -> dict[int, int]:
    counts: dict[int, int] = {}
    for user_id in connected_assistants(organization).values_list("user_id", flat=True):
        counts[user_id] = counts.get(user_id, 0) + 1
    return counts


@org_admin_required
@require_POST
def invitation_resend(request: AuthenticatedRequest, organization: Organization, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(pending_invitations(organization), pk=invitation_id)
    sent = member_invite(
        organization=organization,
        email=invitation.email,
        role=invitation.role,
        actor=request.user,
        origin=Origin.of(request),
        base_url=public_base_url(request),
    )
    _invited_message(request, sent)
    return redirect("orgadmin:members", slug=organization.slug)


@org_admin_required
@require_POST
def invitation_withdraw(request: AuthenticatedRequest, organization: Organization, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id, organization=organization)
    invitation_revoke(invitation=invitation, actor=request.user, origin=Origin.of(request))
    messages.success(request, f"Withdrew the invitation to {invitation.email}; its link no longer works.")
    return redirect("orgadmin:members", slug=organization.slug)


@org_admin_required
@require_POST
def member_role(request: AuthenticatedRequest, organization: Organization, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organization=organization
    )
    try:
        member_role_set(
            membership=membership, role=request.POST.get("role", ""), actor=request.user, origin=Origin.of(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    return redirect("orgadmin:members", slug=organization.slug)


@org_admin_required
def member_remove(request: AuthenticatedRequest, organization: Organization, membership_id: int) -> HttpResponse:
    """GET names what removal ends (tokens, assistants); POST removes."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, organization=organization
    )
    if request.method != "POST":
        context = {"organization": organization, "membership": membership, "impact": member_impact(membership)}
        return render(request, "orgadmin/member_remove.html", context)
    email = membership.user.email
    try:
        ended = person_access_end(
            organization=organization,
            user=membership.user,
            actor=Actor.person(request.user),
            origin=Origin.of(request),
            reach=Reach.MEMBERSHIP,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Removed {email}: {ended.tokens} token{pluralize(ended.tokens)} and {ended.assistants} "
            f"assistant{pluralize(ended.assistants)} stopped working.",
        )
    return redirect("orgadmin:members", slug=organization.slug)


@org_admin_required
def member_two_factor_reset(
    request: AuthenticatedRequest, organization: Organization, membership_id: int
) -> HttpResponse:
    """GET says what resetting a member's second factor does; POST removes their authenticators and
    recovery codes (a lost phone)."""
    membership = get_object_or_404(members(organization), pk=membership_id)
    if request.method != "POST":
        return render(
            request, "orgadmin/member_mfa_reset.html", {"organization": organization, "membership": membership}
        )
    email = membership.user.email
    removed = member_mfa_reset(
        organization=organization, member=membership.user, actor=request.user, origin=Origin.of(request)
    )
    if not removed:
        messages.info(request, f"{email} has no two-factor authentication to reset.")
    elif organization.require_mfa:
        messages.success(
            request,
            f"Reset the two-factor authentication of {email}: they set up a new authenticator app at their next "
            "password sign-in.",
        )
    else:
        messages.success(
            request,
            f"Reset the two-factor authentication of {email}: they sign in with their password alone until they "
            "set up a new authenticator app.",
        )
    return redirect("orgadmin:members", slug=organization.slug)


@org_admin_required
def people_access(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Every token and connected assistant in the organization, filtered by person, kind and state."""
    person = request.GET.get("person", "")
    kind, state = storable(request.GET.get("kind", "")), storable(request.GET.get("state", ""))
    person_id = row_id(person)  # anything but a row ID (a huge number, "²") filters nobody out
    rows = access_rows(organization, person=person_id, kind=kind, state=state)
    context = {
        "organization": organization,
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "people": members(organization),
        "kinds": [(TOKEN, "Personal access tokens"), *Platform.choices],
        "states": STATES,
        "person": person_id,
        "kind": kind,
        "state": state,
    }
    return render(request, "orgadmin/people_access.html", context)


def _credential(organization: Organization, key: str) -> PersonalAccessToken | object:
    kind, _, text = key.partition("-")
    pk = row_id(text)
    if pk is None:
        raise Http404("No such credential")
    if kind == "token":
        return get_object_or_404(
            PersonalAccessToken.objects.select_related("user", "organization"), pk=pk, organization=organization
        )
    if kind == "assistant":
        return get_object_or_404(live_connections(organization), pk=pk)
    raise Http404("No such credential")


@org_admin_required
def credential_revoke(request: AuthenticatedRequest, organization: Organization, key: str) -> HttpResponse:
    """GET names the token or assistant and its owner; POST revokes it."""
    credential = _credential(organization, key)
    if request.method != "POST":
        context = {"organization": organization, "credential": credential, "key": key}
        return render(request, "orgadmin/credential_revoke.html", context)
    origin = Origin.of(request)
    if isinstance(credential, PersonalAccessToken):
        admin_token_revoke(token=credential, actor=request.user, origin=origin)
        what = f"{credential.user.email}'s token {credential.name}"
    else:
        connection_revoke(connection=credential, actor=request.user, origin=origin)  # type: ignore[arg-type]
        what = f"{credential.user.email}'s assistant {credential.label}"  # type: ignore[attr-defined]
    messages.success(request, f"Revoked {what}; it stopped working at once.")
    return redirect("orgadmin:people-access", slug=organization.slug)


@org_admin_required
def person_revoke(request: AuthenticatedRequest, organization: Organization, user_id: int) -> HttpResponse:
    """GET names everything the person holds here; POST revokes all of it."""
    person = get_object_or_404(User, pk=user_id, memberships__organization=organization)
    rows = [r for r in access_rows(organization, person=person.pk) if r.state in ("active", "paused")]
    if request.method != "POST":
        context = {"organization": organization, "person": person, "rows": rows}
        return render(request, "orgadmin/person_revoke.html", context)
    ended = person_access_end(
        organization=organization,
        user=person,
        actor=Actor.person(request.user),
        origin=Origin.of(request),
        reach=Reach.CREDENTIALS,
    )
    messages.success(
        request,
        f"Revoked everything {person.email} held: {ended.tokens} token{pluralize(ended.tokens)}, "
        f"{ended.assistants} assistant{pluralize(ended.assistants)}.",
    )
    return redirect("orgadmin:people-access", slug=organization.slug)


@org_admin_required
def doctor(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Which gate would refuse a member, token or client right now, and the fix."""
    subject = storable(request.GET.get("subject", "")).strip()[:254]
    diagnosis = diagnose(organization, subject, timezone.now()) if subject else None
    context = {"organization": organization, "subject": subject, "diagnosis": diagnosis}
    return render(request, "orgadmin/doctor.html", context)
