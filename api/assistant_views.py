"""The management API for the organization's assistant policies (docs/policies.md, docs/api.md):
`GET`/`PATCH /organizations/{slug}/assistant-policies`, the clients' approvals
(`GET /organizations/{slug}/assistant-approvals`) and a decision on one (`PUT …/{id}`)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from api import assistant_serializers as s
from api.preconditions import check_if_match, tagged
from api.selectors import caller, organization_for_caller
from api.views import _origin, _valid
from oauth_server.assistant_policies import (
    AssistantPolicies,
    approval_decide,
    assistant_policies_set,
    organization_approvals,
)
from oauth_server.models import ApprovalStatus


def _row(organization: Organization) -> dict[str, Any]:
    values = asdict(AssistantPolicies.of(organization))
    return {**values, "allowed_clients": list(values["allowed_clients"])}


class AssistantPoliciesView(APIView):
    @extend_schema(responses=s.AssistantPoliciesSerializer, summary="The organization's assistant policies")
    def get(self, request: Request, slug: str) -> Response:
        return tagged(s.AssistantPoliciesSerializer(_row(organization_for_caller(request, slug))).data)

    @extend_schema(
        request=s.AssistantPoliciesSerializer,
        responses=s.AssistantPoliciesSerializer,
        summary="Change assistant policies (what is left out stays as it is); turning approval on approves the "
        "clients already connected",
    )
    def patch(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(s.AssistantPoliciesSerializer, request.data, partial=True)
        check_if_match(request, s.AssistantPoliciesSerializer(_row(organization)).data)
        if "allowed_clients" in given:
            given["allowed_clients"] = tuple(given["allowed_clients"])
        wanted = replace(AssistantPolicies.of(organization), **given)
        assistant_policies_set(organization=organization, wanted=wanted, actor=caller(request), origin=_origin(request))
        return tagged(s.AssistantPoliciesSerializer(_row(organization)).data)


class AssistantApprovals(APIView):
    @extend_schema(
        responses=s.ClientApprovalSerializer(many=True),
        summary="Assistant clients asked for or decided on (waiting ones first)",
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        return Response(s.ClientApprovalSerializer(organization_approvals(organization), many=True).data)


class AssistantApprovalDetail(APIView):
    @extend_schema(
        request=s.ApprovalDecisionSerializer,
        responses=s.ClientApprovalSerializer,
        summary="Approve or deny an assistant client (audited)",
    )
    def put(self, request: Request, slug: str, approval_id: int) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(s.ApprovalDecisionSerializer, request.data)
        approval = organization_approvals(organization).filter(pk=approval_id).first()
        if approval is None:
            raise NotFound("no assistant approval of this organization has this ID")
        approved = given["status"] == ApprovalStatus.APPROVED
        decided = approval_decide(approval=approval, approved=approved, actor=caller(request), origin=_origin(request))
        return Response(s.ClientApprovalSerializer(decided).data)
