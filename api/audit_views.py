"""The management API's audit trail and its export, the audit policies and the audit stream
(docs/policies.md, docs/api.md): the same services as the console's "Audit and SIEM stream" page."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit_policies import AuditPolicies, organization_audit_policies_set
from api import audit_serializers as s
from api.idempotency import idempotent
from api.preconditions import check_if_match, tagged
from api.selectors import caller, organization_for_caller
from api.views import _origin, _valid, raise_not_found
from audit.exports import export_response
from audit.models import AuditStream
from audit.selectors import audit_search
from audit.stream_services import (
    dead_letters,
    stream_of,
    stream_remove,
    stream_resend,
    stream_secret_rotate,
    stream_set,
    stream_status,
    stream_test,
)


class OrganizationAuditPolicies(APIView):
    @extend_schema(responses=s.AuditPoliciesSerializer, summary="The audit policies (with their ETag)")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        return tagged(s.AuditPoliciesSerializer(asdict(AuditPolicies.of(organization))).data)

    @extend_schema(
        request=s.AuditPoliciesSerializer,
        responses=s.AuditPoliciesSerializer,
        summary="Change the audit policies (what is left out stays as it is)",
    )
    def patch(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(s.AuditPoliciesSerializer, request.data, partial=True)
        current = AuditPolicies.of(organization)
        check_if_match(request, s.AuditPoliciesSerializer(asdict(current)).data)
        organization_audit_policies_set(
            organization=organization, wanted=replace(current, **given), actor=caller(request), origin=_origin(request)
        )
        return tagged(s.AuditPoliciesSerializer(asdict(AuditPolicies.of(organization))).data)


def _row(stream: AuditStream, secret: str | None = None) -> dict[str, Any]:
    row = asdict(stream_status(stream))
    return {**row, "secret": secret} if secret else row


def _stream(request: Request, slug: str) -> AuditStream:
    stream = stream_of(organization_for_caller(request, slug))
    if stream is None:
        raise_not_found("This organization has no audit stream.")
    return stream


class OrganizationAuditStream(APIView):
    @extend_schema(responses=s.AuditStreamSerializer, summary="The audit stream to the organization's SIEM")
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.AuditStreamSerializer(_row(_stream(request, slug))).data)

    @extend_schema(
        request=s.AuditStreamChangeSerializer,
        responses={200: s.AuditStreamSerializer, 201: s.AuditStreamSerializer},
        summary="Set the stream's webhook (201 with its signing secret, shown once, when it is made)",
    )
    def put(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(s.AuditStreamChangeSerializer, request.data)
        stream, secret = stream_set(
            organization=organization,
            url=given["url"],
            enabled=given["enabled"],
            actor=caller(request),
            origin=_origin(request),
        )
        made = status.HTTP_201_CREATED if secret else status.HTTP_200_OK
        return Response(s.AuditStreamSerializer(_row(stream, secret)).data, status=made)

    @extend_schema(request=None, responses={204: None}, summary="Remove the stream (and its undelivered events)")
    def delete(self, request: Request, slug: str) -> Response:
        stream_remove(stream=_stream(request, slug), actor=caller(request), origin=_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditStreamTest(APIView):
    @extend_schema(
        request=None, responses=s.AuditStreamTestSerializer, summary="Send one signed test event now (not queued)"
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        attempt = stream_test(stream=_stream(request, slug), actor=caller(request), origin=_origin(request))
        return Response(s.AuditStreamTestSerializer({"ok": attempt.ok, "error": attempt.error}).data)


class AuditStreamSecret(APIView):
    @extend_schema(
        request=None, responses=s.AuditStreamSerializer, summary="A new signing secret (in this answer only)"
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        stream = _stream(request, slug)
        secret = stream_secret_rotate(stream=stream, actor=caller(request), origin=_origin(request))
        return Response(s.AuditStreamSerializer(_row(stream, secret)).data)


class AuditStreamDeadLetters(APIView):
    @extend_schema(responses=s.DeadLetterSerializer(many=True), summary="The stream's dead letters, newest first")
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.DeadLetterSerializer(dead_letters(_stream(request, slug)), many=True).data)


class AuditStreamResend(APIView):
    @extend_schema(
        request=s.ResendSerializer,
        responses=s.ResentSerializer,
        summary="Queue dead letters again (all, or those named), keeping their event IDs",
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        given = _valid(s.ResendSerializer, request.data)  # a body that does not parse is a 400, stream or not
        stream = _stream(request, slug)
        resent = stream_resend(
            stream=stream, event_ids=given.get("event_ids"), actor=caller(request), origin=_origin(request)
        )
        return Response(s.ResentSerializer({"resent": resent}).data)


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000


class AuditEvents(APIView):
    @extend_schema(
        responses=s.AuditEventPageSerializer,
        parameters=[s.AuditFilterSerializer],
        summary="The organization's audit trail, newest first, in pages",
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_for_caller(request, slug)
        given = _valid(s.AuditFilterSerializer, request.query_params.dict())
        filters = {k: v for k, v in given.items() if k not in ("cursor", "limit")}
        events = audit_search(organization, **filters)
        pages = NewestFirst()
        page = pages.paginate_queryset(events, request, view=self)
        return pages.get_paginated_response(s.AuditEventSerializer(page, many=True).data)


class AuditExport(APIView):
    @extend_schema(
        parameters=[s.AuditExportSerializer],
        responses={
            (200, "application/jsonl"): OpenApiTypes.STR,
            (200, "text/csv"): OpenApiTypes.STR,
        },
        summary="The whole filtered audit trail as one file: JSON Lines or CSV, streamed",
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        organization = organization_for_caller(request, slug)
        given = _valid(s.AuditExportSerializer, request.query_params.dict())
        filters = {k: v for k, v in given.items() if k != "as"}
        return export_response(audit_search(organization, **filters), slug=organization.slug, kind=given["as"])
