"""The management API's endpoints for you, your tokens and connected apps, and the organization's
tokens and connected apps (docs/api.md)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Organization, PersonalAccessToken
from accounts.services import (
    token_create,
    token_revoke,
    token_rotate,
)
from accounts.shown_once import no_store
from administration.services import admin_token_revoke
from api.authentication import token_principal
from api.idempotency import idempotent
from api.selectors import caller, organization_for_caller, own_tokens
from api.token_serializers import (
    ConnectedAppSerializer,
    IssuedTokenSerializer,
    MeSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)
from api.views import _origin, _valid, raise_not_found
from oauth_server.models import ConnectedApp
from oauth_server.selectors import connected_apps_for_user, organization_connections
from oauth_server.services import (
    connection_revoke,
)


class Me(APIView):
    @extend_schema(responses=MeSerializer, summary="Who is calling, and their organizations")
    def get(self, request: Request) -> Response:
        user = caller(request)
        rows = Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
        organizations = [{"slug": m.organization.slug, "name": m.organization.name, "role": m.role} for m in rows]
        data = {"id": user.pk, "email": user.email, "full_name": user.full_name, "organizations": organizations}
        return Response(MeSerializer(data).data)


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


class OwnConnectedApps(APIView):
    @extend_schema(responses=ConnectedAppSerializer(many=True), summary="Your connected assistants")
    def get(self, request: Request) -> Response:
        return Response(ConnectedAppSerializer(_own_connections(request), many=True).data)


def _own_connections(request: Request) -> QuerySet[ConnectedApp]:
    """The caller's live assistants (for a token caller: those in the token's organization, as with
    `own_tokens`: a token acts in its own organization only)."""
    rows = connected_apps_for_user(caller(request)).select_related("application", "organization", "user")
    principal = token_principal(request)
    if principal is not None:
        rows = rows.filter(organization_id=principal.organization_id)
    return rows


def _revoke(request: Request, connection: ConnectedApp) -> Response:
    revoked = connection_revoke(connection=connection, actor=caller(request), origin=_origin(request))
    return Response(ConnectedAppSerializer(revoked).data)


class OwnConnectedAppDetail(APIView):
    @extend_schema(request=None, responses={200: ConnectedAppSerializer}, summary="Revoke one of your assistants")
    def delete(self, request: Request, connection_id: int) -> Response:
        return _revoke(request, get_object_or_404(_own_connections(request), pk=connection_id))


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
