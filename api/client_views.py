"""The management API's endpoints for connectors, confidential clients and saved audiences (docs/api.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from accounts.shown_once import no_store
from administration.services import connector_remove
from api.client_serializers import (
    AudienceCreateSerializer,
    AudienceSerializer,
    ClientCreateSerializer,
    ClientSerializer,
    ConnectorSerializer,
    IssuedClientSerializer,
    PublishSerializer,
)
from api.idempotency import idempotent
from api.preconditions import check_if_match, tagged
from api.problems import Refused
from api.selectors import caller, organization_for_caller
from api.serializers import ImpactSerializer
from api.views import _origin, _valid, raise_not_found
from insights.selectors import saved_audiences
from insights.services import saved_audience_create
from oauth_server.platforms import Platform
from oauth_server.selectors import organization_clients, publications
from oauth_server.services import (
    organization_client_create,
    organization_client_delete,
    publication_set,
)


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
