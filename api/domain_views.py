"""The management API's endpoints for email domains and their DNS verification (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import EmailDomain, Organization
from accounts.selectors import organization_domains
from accounts.services import (
    domain_add,
    domain_member_count,
    domain_remove,
    domain_set_enabled,
    domain_verify,
)
from api.domain_serializers import DomainChangeSerializer, DomainCreateSerializer, DomainSerializer
from api.idempotency import idempotent
from api.preconditions import check_if_match, tagged
from api.selectors import caller, organization_for_caller
from api.views import _origin, _valid


def _domain_rows(organization: Organization) -> list[dict[str, Any]]:
    return [_domain_row(d, n) for d, n in organization_domains(organization)]


def _domain(organization: Organization, name: str) -> EmailDomain:
    return get_object_or_404(EmailDomain, organization=organization, domain=name.lower())


class Domains(APIView):
    @extend_schema(responses=DomainSerializer(many=True), summary="The email domains whose people may use Spark Portal")
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
