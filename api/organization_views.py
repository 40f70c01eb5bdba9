"""The management API's endpoints for the organizations you administer, their access and their
policies (docs/api.md, docs/policies.md)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AccessStatus, Organization
from accounts.policies import Policies, organization_policies_set
from accounts.services import (
    organization_access_set,
)
from administration.connection_policies import (
    CONNECTION_FIELDS,
    ConnectionPolicies,
    organization_connection_policies_set,
)
from api.organization_serializers import AccessSerializer, OrganizationSerializer, PoliciesSerializer
from api.preconditions import check_if_match, tagged
from api.selectors import administered, caller, organization_for_caller
from api.views import _origin, _valid


class Organizations(APIView):
    @extend_schema(responses=OrganizationSerializer(many=True), summary="The organizations you administer")
    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(administered(request), many=True).data)


class OrganizationDetail(APIView):
    @extend_schema(responses=OrganizationSerializer, summary="One organization you administer (with its ETag)")
    def get(self, request: Request, slug: str) -> Response:
        return tagged(OrganizationSerializer(organization_for_caller(request, slug)).data)


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
