"""The management API's endpoints for members and invitations (docs/api.md)."""

from __future__ import annotations

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.members import member_invite, member_role_set, members
from accounts.mfa import member_mfa_reset
from accounts.models import Membership, Organization
from administration.access_end import Reach, person_access_end
from api.idempotency import idempotent
from api.member_serializers import (
    InvitationSerializer,
    InviteSerializer,
    MemberFilterSerializer,
    MemberSerializer,
    MFAResetSerializer,
    RoleSerializer,
)
from api.preconditions import check_if_match, tagged
from api.selectors import caller, organization_for_caller
from api.serializers import ImpactSerializer
from api.views import _origin, _valid
from audit.actors import Actor
from spark_portal.public_url import public_base_url


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
