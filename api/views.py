"""The management API's endpoints: thin edges over the services the portal's pages call, so every
rule and every audit record is the portal's own (docs/api.md)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, NoReturn

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.members import member_invite, member_role_set, members
from accounts.mfa import member_mfa_reset
from accounts.models import AccessStatus, EmailDomain, Membership, Organization, PersonalAccessToken
from accounts.policies import Policies, organization_policies_set
from accounts.selectors import organization_domains
from accounts.services import (
    domain_add,
    domain_member_count,
    domain_remove,
    domain_set_enabled,
    domain_verify,
    organization_access_set,
    token_create,
    token_revoke,
    token_rotate,
)
from accounts.shown_once import no_store
from administration.access_end import Reach, person_access_end
from administration.connection_policies import (
    CONNECTION_FIELDS,
    ConnectionPolicies,
    organization_connection_policies_set,
)
from administration.services import admin_token_revoke, connector_remove
from api.audit_serializers import (
    AuditEventPageSerializer,
    AuditEventSerializer,
    AuditExportSerializer,
    AuditFilterSerializer,
)
from api.authentication import token_principal
from api.client_serializers import (
    AudienceCreateSerializer,
    AudienceSerializer,
    ClientCreateSerializer,
    ClientSerializer,
    ConnectorSerializer,
    IssuedClientSerializer,
    PublishSerializer,
)
from api.domain_serializers import DomainChangeSerializer, DomainCreateSerializer, DomainSerializer
from api.idempotency import idempotent
from api.member_serializers import (
    InvitationSerializer,
    InviteSerializer,
    MemberFilterSerializer,
    MemberSerializer,
    MFAResetSerializer,
    RoleSerializer,
)
from api.organization_serializers import AccessSerializer, OrganizationSerializer, PoliciesSerializer
from api.preconditions import check_if_match, tagged
from api.problems import PROBLEM, Refused
from api.selectors import administered, caller, organization_for_caller, own_tokens
from api.serializers import ImpactSerializer
from api.token_serializers import (
    ConnectedAppSerializer,
    IssuedTokenSerializer,
    MeSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)
from api.usage_serializers import DiagnosisSerializer, DoctorQuerySerializer, UsageQuerySerializer, UsageSerializer
from audit.actors import Actor
from audit.exports import export_response
from audit.selectors import audit_search
from audit.services import Origin
from doctor.diagnosis import diagnose
from insights.selectors import saved_audiences
from insights.services import saved_audience_create
from oauth_server.models import ConnectedApp
from oauth_server.platforms import Platform
from oauth_server.selectors import connected_apps_for_user, organization_clients, organization_connections, publications
from oauth_server.services import (
    connection_revoke,
    organization_client_create,
    organization_client_delete,
    publication_set,
)
from spark_portal.public_url import public_base_url
from usage.quotas import QuotaReport, quota_report
from usage.selectors import calls_by_credential, calls_by_tool, daily_calls
from usage.services import usage_flush


def _origin(request: Request) -> Origin:
    return Origin.of(request._request)


def _valid(serializer: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The input checked against its serializer (400 with each field's messages), as a dict."""
    checked = serializer(data=data, partial=partial)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


class Me(APIView):
    @extend_schema(responses=MeSerializer, summary="Who is calling, and their organizations")
    def get(self, request: Request) -> Response:
        user = caller(request)
        rows = Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
        organizations = [{"slug": m.organization.slug, "name": m.organization.name, "role": m.role} for m in rows]
        data = {"id": user.pk, "email": user.email, "full_name": user.full_name, "organizations": organizations}
        return Response(MeSerializer(data).data)


class Organizations(APIView):
    @extend_schema(responses=OrganizationSerializer(many=True), summary="The organizations you administer")
    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(administered(request), many=True).data)


class OrganizationDetail(APIView):
    @extend_schema(responses=OrganizationSerializer, summary="One organization you administer (with its ETag)")
    def get(self, request: Request, slug: str) -> Response:
        return tagged(OrganizationSerializer(organization_for_caller(request, slug)).data)


# --- Members ---------------------------------------------------------------------------------------


class Members(APIView):
    @extend_schema(responses=MemberSerializer(many=True), parameters=[MemberFilterSerializer], summary="The members")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(MemberFilterSerializer, request.query_params.dict())
        query, role = given.get("q", ""), given.get("role", "")
        return Response(MemberSerializer(members(organization, query=query, role=role), many=True).data)

    @extend_schema(request=InviteSerializer, responses={201: InvitationSerializer}, summary="Invite by email")
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(InviteSerializer, request.data)
        sent = member_invite(
            organization=organization,
            email=given["email"],
            role=given["role"],
            actor=caller(request),
            origin=_origin(request),
            base_url=public_base_url(request._request),
        )
        return Response(InvitationSerializer(sent).data, status=status.HTTP_201_CREATED)


def _membership(organization: Organization, user_id: int) -> Membership:
    return get_object_or_404(members(organization).select_related("organization"), user_id=user_id)


class MemberDetail(APIView):
    @extend_schema(responses=MemberSerializer, summary="One member (with its ETag, for If-Match)")
    def get(self, request: Request, slug: str, user_id: int) -> Response:
        return tagged(MemberSerializer(_membership(organization_for_caller(request, slug), user_id)).data)

    @extend_schema(request=RoleSerializer, responses=MemberSerializer, summary="Change a member's role")
    def patch(self, request: Request, slug: str, user_id: int) -> Response:
        membership = _membership(organization_for_caller(request, slug), user_id)
        given = _valid(RoleSerializer, request.data, partial=True)
        check_if_match(request, MemberSerializer(membership).data)
        if "role" in given:  # a PATCH without it changes nothing
            role = given["role"]
            membership = member_role_set(
                membership=membership, role=role, actor=caller(request), origin=_origin(request)
            )
        return tagged(MemberSerializer(membership).data)

    @extend_schema(
        request=None,
        responses={200: ImpactSerializer},
        summary="Remove a member: their tokens and assistants in this organization are revoked",
    )
    def delete(self, request: Request, slug: str, user_id: int) -> Response:
        membership = _membership(organization_for_caller(request, slug), user_id)
        ended = person_access_end(
            organization=membership.organization,
            user=membership.user,
            actor=Actor.person(caller(request)),
            origin=_origin(request),
            reach=Reach.MEMBERSHIP,
        )
        return Response(ImpactSerializer(asdict(ended.impact)).data)


class MemberMFAReset(APIView):
    @extend_schema(
        request=None,
        responses={200: MFAResetSerializer},
        summary="Reset a member's two-factor authentication (a lost phone): their authenticators and "
        "recovery codes are removed",
    )
    @idempotent
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        organization = organization_for_caller(request, slug)
        membership = _membership(organization, user_id)
        removed = member_mfa_reset(
            organization=organization, member=membership.user, actor=caller(request), origin=_origin(request)
        )
        data = {"member": _membership(organization, user_id), "removed": removed}
        return Response(MFAResetSerializer(data).data)


# --- Connectors ------------------------------------------------------------------------------------


def _connector(platform: Platform, publication: Any) -> dict[str, Any]:
    return {
        "platform": platform.value,
        "label": platform.label,
        "published": bool(publication and publication.published),
        "changed_at": publication.changed_at if publication else None,
    }


def _platform(value: str) -> Platform:
    if value not in Platform.values:
        raise_not_found(f"no platform {value!r}; one of {', '.join(Platform.values)}")
    return Platform(value)


def raise_not_found(detail: str) -> NoReturn:
    raise NotFound(detail)


class Connectors(APIView):
    @extend_schema(responses=ConnectorSerializer(many=True), summary="Connector publication per assistant platform")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        rows = [_connector(platform, publication) for platform, publication in publications(organization)]
        return Response(ConnectorSerializer(rows, many=True).data)


def _publication_row(organization: Organization, platform: Platform) -> dict[str, Any]:
    rows = dict(publications(organization))
    return _connector(platform, rows.get(platform))


class ConnectorDetail(APIView):
    @extend_schema(responses=ConnectorSerializer, summary="One platform's connector (with its ETag)")
    def get(self, request: Request, slug: str, platform: str) -> Response:
        organization, chosen = organization_for_caller(request, slug), _platform(platform)
        return tagged(ConnectorSerializer(_publication_row(organization, chosen)).data)

    @extend_schema(
        request=PublishSerializer,
        responses=ConnectorSerializer,
        summary="Publish or unpublish: unpublished, its assistants are paused until it is published again",
    )
    def put(self, request: Request, slug: str, platform: str) -> Response:
        organization, chosen = organization_for_caller(request, slug), _platform(platform)
        given = _valid(PublishSerializer, request.data)
        check_if_match(request, ConnectorSerializer(_publication_row(organization, chosen)).data)
        publication = publication_set(
            organization=organization,
            platform=chosen,
            published=given["published"],
            actor=caller(request),
            origin=_origin(request),
        )
        return tagged(ConnectorSerializer(_connector(chosen, publication)).data)

    @extend_schema(
        request=None,
        responses={200: ImpactSerializer},
        summary="Remove: unpublish and revoke every assistant of the platform (publishing again brings none back)",
    )
    def delete(self, request: Request, slug: str, platform: str) -> Response:
        organization, chosen = organization_for_caller(request, slug), _platform(platform)
        impact = connector_remove(
            organization=organization, platform=chosen, actor=caller(request), origin=_origin(request)
        )
        return Response(ImpactSerializer(asdict(impact)).data)


# --- Personal access tokens ------------------------------------------------------------------------


class OwnTokens(APIView):
    @extend_schema(responses=TokenSerializer(many=True), summary="Your personal access tokens")
    def get(self, request: Request) -> Response:
        return Response(TokenSerializer(own_tokens(request).order_by("-created_at"), many=True).data)

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: IssuedTokenSerializer},
        parameters=[OpenApiParameter("organization", str, description="Slug; default: the token's, or your only one.")],
        summary="Create a token (its secret is in this answer only)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = _valid(TokenCreateSerializer, request.data)
        organization = _token_organization(request)
        issued = token_create(
            user=caller(request),
            organization=organization,
            name=given["name"],
            days=given["days"],
            scopes=given["scopes"],
            all_datasets=given["all_datasets"],
            actor=caller(request),
            origin=_origin(request),
        )
        body = {**TokenSerializer(issued.token).data, "secret": issued.secret}
        return no_store(Response(body, status=status.HTTP_201_CREATED))


def _token_organization(request: Request) -> Organization:
    principal = token_principal(request)
    memberships = Membership.objects.filter(user=caller(request)).select_related("organization")
    if principal is not None:
        memberships = memberships.filter(organization_id=principal.organization_id)
    if slug := request.query_params.get("organization"):
        memberships = memberships.filter(organization__slug=slug)
    found = [m.organization for m in memberships]
    if len(found) != 1:
        raise_not_found(
            "say which organization the token is for (?organization=<slug>)"
            if found
            else "no such organization among yours"
        )
    return found[0]


def _own_token(request: Request, token_id: int) -> PersonalAccessToken:
    token = own_tokens(request).filter(pk=token_id).first()
    if token is None:
        raise_not_found("no such token among yours")
    return token


class OwnTokenDetail(APIView):
    @extend_schema(request=None, responses={200: TokenSerializer}, summary="Revoke one of your tokens")
    def delete(self, request: Request, token_id: int) -> Response:
        token = token_revoke(token=_own_token(request, token_id), actor=caller(request), origin=_origin(request))
        return Response(TokenSerializer(token).data)


class OwnTokenRotate(APIView):
    @extend_schema(
        request=None,
        responses={200: IssuedTokenSerializer},
        summary="Rotate: a new secret and lifetime; the old secret stops at once",
    )
    @idempotent
    def post(self, request: Request, token_id: int) -> Response:
        issued = token_rotate(token=_own_token(request, token_id), actor=caller(request), origin=_origin(request))
        return no_store(Response({**TokenSerializer(issued.token).data, "secret": issued.secret}))


class OrganizationTokens(APIView):
    @extend_schema(responses=TokenSerializer(many=True), summary="Every personal access token of the organization")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        rows = PersonalAccessToken.objects.filter(organization=organization).select_related("user", "organization")
        return Response(TokenSerializer(rows.order_by("-created_at"), many=True).data)


class OrganizationTokenDetail(APIView):
    @extend_schema(request=None, responses={200: TokenSerializer}, summary="Revoke a member's token")
    def delete(self, request: Request, slug: str, token_id: int) -> Response:
        organization = organization_for_caller(request, slug)
        token = get_object_or_404(
            PersonalAccessToken.objects.select_related("user", "organization"), organization=organization, pk=token_id
        )
        admin_token_revoke(token=token, actor=caller(request), origin=_origin(request))
        token.refresh_from_db()
        return Response(TokenSerializer(token).data)


# --- Connected assistants --------------------------------------------------------------------------


class OwnConnectedApps(APIView):
    @extend_schema(responses=ConnectedAppSerializer(many=True), summary="Your connected assistants")
    def get(self, request: Request) -> Response:
        rows = connected_apps_for_user(caller(request)).select_related("application", "organization", "user")
        principal = token_principal(request)
        if principal is not None:
            rows = rows.filter(organization_id=principal.organization_id)
        return Response(ConnectedAppSerializer(rows, many=True).data)


def _revoke(request: Request, connection: ConnectedApp) -> Response:
    revoked = connection_revoke(connection=connection, actor=caller(request), origin=_origin(request))
    return Response(ConnectedAppSerializer(revoked).data)


class OwnConnectedAppDetail(APIView):
    @extend_schema(request=None, responses={200: ConnectedAppSerializer}, summary="Revoke one of your assistants")
    def delete(self, request: Request, connection_id: int) -> Response:
        rows = connected_apps_for_user(caller(request)).select_related("application", "organization", "user")
        return _revoke(request, get_object_or_404(rows, pk=connection_id))


class OrganizationConnectedApps(APIView):
    @extend_schema(responses=ConnectedAppSerializer(many=True), summary="Every connected assistant (and its history)")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        return Response(ConnectedAppSerializer(organization_connections(organization), many=True).data)


class OrganizationConnectedAppDetail(APIView):
    @extend_schema(request=None, responses={200: ConnectedAppSerializer}, summary="Revoke a member's assistant")
    def delete(self, request: Request, slug: str, connection_id: int) -> Response:
        organization = organization_for_caller(request, slug)
        rows = organization_connections(organization).filter(revoked_at__isnull=True)
        return _revoke(request, get_object_or_404(rows, pk=connection_id))


# --- Audit trail -----------------------------------------------------------------------------------


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000


class AuditEvents(APIView):
    @extend_schema(
        responses=AuditEventPageSerializer,
        parameters=[AuditFilterSerializer],
        summary="The organization's audit trail, newest first, in pages",
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(AuditFilterSerializer, request.query_params.dict())
        filters = {k: v for k, v in given.items() if k not in ("cursor", "limit")}
        events = audit_search(organization, **filters)
        pages = NewestFirst()
        page = pages.paginate_queryset(events, request, view=self)
        return pages.get_paginated_response(AuditEventSerializer(page, many=True).data)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything under /api/ that is no endpoint: a problem, like every other error here."""
    body = {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no such endpoint",
        "code": "not_found",
    }
    return JsonResponse(body, status=404, content_type=PROBLEM)


class AuditExport(APIView):
    @extend_schema(
        parameters=[AuditExportSerializer],
        responses={
            (200, "application/jsonl"): OpenApiTypes.STR,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        summary="The whole filtered audit trail as one file: JSON Lines or CSV, streamed",
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        organization = organization_for_caller(request, slug)
        given = _valid(AuditExportSerializer, request.query_params.dict())
        filters = {k: v for k, v in given.items() if k != "as"}
        return export_response(audit_search(organization, **filters), slug=organization.slug, kind=given["as"])


# --- Email domains ---------------------------------------------------------------------------------


def _domain_rows(organization: Organization) -> list[dict[str, Any]]:
    return [_domain_row(d, n) for d, n in organization_domains(organization)]


def _domain(organization: Organization, name: str) -> EmailDomain:
    return get_object_or_404(EmailDomain, organization=organization, domain=name.lower())


class Domains(APIView):
    @extend_schema(responses=DomainSerializer(many=True), summary="The email domains whose people may use Spark")
    def get(self, request: Request, slug: str) -> Response:
        return Response(DomainSerializer(_domain_rows(organization_for_caller(request, slug)), many=True).data)

    @extend_schema(request=DomainCreateSerializer, responses={201: DomainSerializer}, summary="Add a domain")
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(DomainCreateSerializer, request.data)
        added = domain_add(
            organization=organization,
            domain=given["domain"],
            actor=caller(request),
            origin=_origin(request),
        )
        return tagged(DomainSerializer(_domain_row(added)).data, status=status.HTTP_201_CREATED)


def _domain_row(found: EmailDomain, members: int | None = None) -> dict[str, Any]:
    return {
        "domain": found.domain,
        "enabled": found.enabled,
        "members": domain_member_count(found) if members is None else members,
        "verified": found.verified,
        "verified_at": found.verified_at,
        "verified_by": found.verified_by or None,
        "verification": {"type": "TXT", "name": found.txt_name, "value": found.txt_value},
    }


class DomainDetail(APIView):
    @extend_schema(responses=DomainSerializer, summary="One domain (with its ETag)")
    def get(self, request: Request, slug: str, domain: str) -> Response:
        return tagged(DomainSerializer(_domain_row(_domain(organization_for_caller(request, slug), domain))).data)

    @extend_schema(request=DomainChangeSerializer, responses=DomainSerializer, summary="Enable or disable")
    def patch(self, request: Request, slug: str, domain: str) -> Response:
        found = _domain(organization_for_caller(request, slug), domain)
        given = _valid(DomainChangeSerializer, request.data, partial=True)
        check_if_match(request, DomainSerializer(_domain_row(found)).data)
        changed = found
        if "enabled" in given:  # a PATCH without it changes nothing
            changed = domain_set_enabled(
                domain=found, enabled=given["enabled"], actor=caller(request), origin=_origin(request)
            )
        return tagged(DomainSerializer(_domain_row(changed)).data)

    @extend_schema(request=None, responses={200: DomainSerializer}, summary="Remove a domain")
    def delete(self, request: Request, slug: str, domain: str) -> Response:
        found = _domain(organization_for_caller(request, slug), domain)
        row = {**_domain_row(found), "enabled": False}
        domain_remove(domain=found, actor=caller(request), origin=_origin(request))
        return Response(DomainSerializer(row).data)


class DomainVerify(APIView):
    @extend_schema(
        request=None,
        responses={200: DomainSerializer},
        summary="Verify a domain: look its TXT record up now (409 says what DNS answered)",
    )
    @idempotent
    def post(self, request: Request, slug: str, domain: str) -> Response:
        found = _domain(organization_for_caller(request, slug), domain)
        verified = domain_verify(domain=found, actor=caller(request), origin=_origin(request))
        return tagged(DomainSerializer(_domain_row(verified)).data)


# --- Access, usage, the connection doctor ----------------------------------------------------------


class Access(APIView):
    @extend_schema(request=AccessSerializer, responses=OrganizationSerializer, summary="End or restore access")
    def put(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(AccessSerializer, request.data)
        check_if_match(request, OrganizationSerializer(organization).data)
        wanted = given["status"]  # `trial`/`contract` reach the service, which refuses them (staff's)
        chosen = {"ended": AccessStatus.ENDED, "restored": None}.get(wanted, wanted)
        changed = organization_access_set(
            organization=organization, status=chosen, actor=caller(request), origin=_origin(request)
        )
        return tagged(OrganizationSerializer(changed).data)


def _policies_row(organization: Organization) -> dict[str, Any]:
    connection = asdict(ConnectionPolicies.of(organization))
    return {**asdict(Policies.of(organization)), "token_expiry_required": True, **connection}


def _connection_policies_patch(request: Request, organization: Organization, given: dict[str, Any]) -> None:
    """The tool, dataset and network part of a policies change (checked, audited, lock-out guarded)."""
    confirmed = bool(given.pop("own_address_outside_confirmed", False))
    mine = {name: given.pop(name) for name in CONNECTION_FIELDS if name in given}
    if mine:
        organization_connection_policies_set(
            organization=organization,
            wanted=replace(ConnectionPolicies.of(organization), **mine),
            actor=caller(request),
            origin=_origin(request),
            confirmed=confirmed,
        )


class OrganizationPolicies(APIView):
    @extend_schema(responses=PoliciesSerializer, summary="The organization's policies (with their ETag)")
    def get(self, request: Request, slug: str) -> Response:
        return tagged(PoliciesSerializer(_policies_row(organization_for_caller(request, slug))).data)

    @extend_schema(
        request=PoliciesSerializer,
        responses=PoliciesSerializer,
        summary="Change policies (what is left out stays as it is); tokens a change stops are paused at once",
    )
    def patch(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(PoliciesSerializer, request.data, partial=True)
        check_if_match(request, PoliciesSerializer(_policies_row(organization)).data)
        with transaction.atomic():
            _connection_policies_patch(request, organization, given)
            wanted = replace(Policies.of(organization), **given)
            organization_policies_set(
                organization=organization, wanted=wanted, actor=caller(request), origin=_origin(request)
            )
        return tagged(PoliciesSerializer(_policies_row(organization)).data)


def _quota(report: QuotaReport) -> dict[str, Any]:
    return {
        "daily_calls_per_person": report.per_person,
        "daily_calls_per_organization": report.per_organization,
        "organization_calls_today": report.organization_calls,
        "people": [{"owner": email, "calls": calls} for email, calls in report.people],
        "resets_in": report.resets_in,
    }


class Usage(APIView):
    @extend_schema(
        parameters=[UsageQuerySerializer],
        responses=UsageSerializer,
        summary="Tool calls per day, per token or assistant, and per tool",
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(UsageQuerySerializer, request.query_params.dict())
        days, today = given["days"], timezone.localdate()
        usage_flush()
        body = {
            "days": [{"day": day, "calls": calls} for day, calls in daily_calls(organization, days=days, today=today)],
            "credentials": calls_by_credential(organization, days=days, today=today),
            "quota": _quota(quota_report(organization, timezone.now())),
            "tools": [{"tool": t, "calls": n} for t, n in calls_by_tool(organization, days=days, today=today)],
        }
        return Response(UsageSerializer(body).data)


class Doctor(APIView):
    @extend_schema(
        parameters=[DoctorQuerySerializer],
        responses=DiagnosisSerializer,
        summary="The connection doctor: which gate refuses someone, the fix, who can make it",
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(DoctorQuerySerializer, request.query_params.dict())
        found = diagnose(organization, given["subject"], timezone.now())
        return Response(DiagnosisSerializer(found).data)


# --- Confidential clients --------------------------------------------------------------------------


class Clients(APIView):
    @extend_schema(responses=ClientSerializer(many=True), summary="Confidential clients (e.g. Copilot Studio)")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        return Response(ClientSerializer(organization_clients(organization), many=True).data)

    @extend_schema(
        request=ClientCreateSerializer,
        responses={201: IssuedClientSerializer},
        summary="Create a confidential client; its secret is in this answer only",
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(ClientCreateSerializer, request.data)
        issued = organization_client_create(
            organization=organization,
            name=given["name"],
            redirect_uri=given["redirect_uri"],
            actor=caller(request),
            origin=_origin(request),
        )
        body = {**ClientSerializer(issued.client).data, "client_secret": issued.secret}
        return no_store(Response(body, status=status.HTTP_201_CREATED))


class ClientDetail(APIView):
    @extend_schema(request=None, responses={200: ClientSerializer}, summary="Delete a confidential client")
    def delete(self, request: Request, slug: str, client_id: int) -> Response:
        organization = organization_for_caller(request, slug)
        client = get_object_or_404(organization_clients(organization), pk=client_id)
        body = ClientSerializer(client).data
        organization_client_delete(client=client, actor=caller(request), origin=_origin(request))
        return Response(body)


# --- Saved audiences -------------------------------------------------------------------------------


class Audiences(APIView):
    @extend_schema(responses=AudienceSerializer(many=True), summary="Saved audiences members dock in chat_gwi")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        return Response(AudienceSerializer(saved_audiences(organization).order_by("-created_at"), many=True).data)

    @extend_schema(request=AudienceCreateSerializer, responses={201: AudienceSerializer}, summary="Save one")
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(AudienceCreateSerializer, request.data)
        dataset = organization.datasets.offered().filter(code=given["dataset"]).first()
        if dataset is None:
            raise Refused(f"{organization.name} has no dataset {given['dataset']!r}", code="unknown_dataset")
        audience = saved_audience_create(
            organization=organization,
            dataset=dataset,
            name=given["name"],
            description=given["description"],
            expression=given["expression"],
            actor=caller(request),
            origin=_origin(request),
        )
        return Response(AudienceSerializer(audience).data, status=status.HTTP_201_CREATED)
