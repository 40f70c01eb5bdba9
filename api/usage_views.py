"""The management API's endpoints for usage and quotas, and the connection doctor (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.selectors import organization_for_caller
from api.usage_serializers import DiagnosisSerializer, DoctorQuerySerializer, UsageQuerySerializer, UsageSerializer
from api.views import _valid
from doctor.diagnosis import diagnose
from usage.quotas import QuotaReport, quota_report
from usage.selectors import calls_by_credential, calls_by_tool, daily_calls
from usage.services import usage_flush


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
