"""The /scim/v2 endpoints (RFC 7644) an organization's identity provider calls with its SCIM token.

Discovery (ServiceProviderConfig, ResourceTypes, Schemas) and Users: list/filter, create, read,
replace, PATCH, delete, and POST .search. Every answer is `application/scim+json`; every refusal a
SCIM error. The token's organization is the only one a request can see or change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    ForbiddenException,
    Meta,
    NotFoundException,
    PatchOp,
    SCIMException,
    UniquenessException,
)

from audit.services import Origin
from scim import protocol
from scim.authentication import authenticate
from scim.models import ScimToken
from scim.protocol import MethodNotAllowed, PayloadTooLarge, TooManyRequests, error_response, respond
from scim.resources import CONFIG, POLICY, RESOURCE_TYPES, SCHEMAS
from scim.resources import User as UserResource
from scim.selectors import Provisioned, provisioned_get, user_resource, users_search
from scim.services import scim_user_create, scim_user_delete, scim_user_update
from spark_portal.public_url import public_base_url
from usage.services import Rate, rate_limited

ScimView = Callable[..., HttpResponse]


def scim_endpoint(*methods: str) -> Callable[[ScimView], Callable[..., HttpResponse]]:
    """Authenticate the SCIM token, check the method, and answer any refusal as a SCIM error."""

    def decorate(view: ScimView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                token = authenticate(request)
                if wait := rate_limited(key=f"scim:{token.pk}", rate=Rate.parse(settings.SPARK_SCIM_RATE)):
                    raise TooManyRequests(retry_after=wait)
                if request.method not in methods:
                    raise MethodNotAllowed(allowed=methods)
                return view(request, token, *args, **kwargs)
            except SCIMException as exc:
                return error_response(exc)
            except ValidationError as exc:
                return error_response(protocol.scim_exception(exc))
            except RequestDataTooBig:
                return error_response(PayloadTooLarge())
            except IntegrityError:  # two requests created the same address at once: one of them wins
                return error_response(UniquenessException(detail="That userName was just taken; read it back."))

        return wrapper

    return decorate


def _base(request: HttpRequest) -> str:
    return public_base_url(request) + "/scim/v2"


def _no_filter(request: HttpRequest) -> None:
    """RFC 7644 §4: discovery endpoints refuse a filter (403)."""
    if "filter" in request.GET:
        raise ForbiddenException(detail="Discovery endpoints do not take a filter.")


def _located(resource: Any, kind: str, location: str) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_copy(
        update={"meta": Meta(resource_type=kind, location=location)}
    ).model_dump()
    return dumped


# -- discovery --------------------------------------------------------------------------------------
@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    _no_filter(request)
    return respond(_located(CONFIG, "ServiceProviderConfig", f"{_base(request)}/ServiceProviderConfig"))


def _listing(request: HttpRequest, items: Sequence[Any], kind: str, folder: str) -> HttpResponse:
    """A discovery collection (ResourceTypes, Schemas), each item located at `folder`/<id>."""
    _no_filter(request)
    found = [_located(item, kind, f"{_base(request)}/{folder}/{item.id}") for item in items]
    return protocol.list_response(len(found), 1, found)


def _one(
    request: HttpRequest, items: Sequence[Any], kind: str, folder: str, item_id: str, missing: str
) -> HttpResponse:
    """One discovery item by its id, or 404 saying `missing`."""
    _no_filter(request)
    for item in items:
        if item.id == item_id:
            return respond(_located(item, kind, f"{_base(request)}/{folder}/{item.id}"))
    raise NotFoundException(detail=missing)


@scim_endpoint("GET")
def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _listing(request, RESOURCE_TYPES, "ResourceType", "ResourceTypes")


@scim_endpoint("GET")
def resource_type(request: HttpRequest, token: ScimToken, type_id: str) -> HttpResponse:
    missing = f"No resource type {type_id!r}: this service has User only."
    return _one(request, RESOURCE_TYPES, "ResourceType", "ResourceTypes", type_id, missing)


@scim_endpoint("GET")
def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _listing(request, SCHEMAS, "Schema", "Schemas")


@scim_endpoint("GET")
def schema(request: HttpRequest, token: ScimToken, schema_id: str) -> HttpResponse:
    return _one(request, SCHEMAS, "Schema", "Schemas", schema_id, f"No schema {schema_id!r}.")


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, token: ScimToken, rest: str) -> HttpResponse:
    raise NotFoundException(detail=f"No SCIM endpoint at /scim/v2/{rest}.")


# -- Users ----------------------------------------------------------------------------------------
def _person(token: ScimToken, scim_id: str) -> Provisioned:
    person = provisioned_get(token.organization, scim_id)
    if person is None:
        raise NotFoundException(detail=f"No user {scim_id!r} in {token.organization.name}.")
    return person


def _resource_body(resource: UserResource, context: Context, request: HttpRequest) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=context, response_parameters=protocol.response_parameters(request))


def _search(request: HttpRequest, token: ScimToken, payload: Any) -> HttpResponse:
    search = protocol.search_request(payload)
    total, page = users_search(token.organization, search, _base(request))
    dumped = [r.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search) for r in page]
    return protocol.list_response(total, search.start_index or 1, dumped)


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """GET lists (filter, sortBy, startIndex, count); POST creates (201 with its Location)."""
    if request.method == "GET":
        return _search(request, token, {k: request.GET[k] for k in protocol.SEARCH_PARAMETERS if k in request.GET})
    resource = protocol.validated(UserResource, protocol.json_body(request), Context.RESOURCE_CREATION_REQUEST)
    person = scim_user_create(actor=token, resource=resource, origin=Origin.of(request))
    created = user_resource(person, _base(request))
    body = _resource_body(created, Context.RESOURCE_CREATION_RESPONSE, request)
    return respond(body, status=201, headers={"Location": str(created.meta.location if created.meta else "")})


@scim_endpoint("POST")
def search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """POST /Users/.search and POST /.search (this service has Users only)."""
    return _search(request, token, protocol.json_body(request))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    person = _person(token, scim_id)
    base, origin = _base(request), Origin.of(request)
    if request.method == "GET":
        return respond(_resource_body(user_resource(person, base), Context.RESOURCE_QUERY_RESPONSE, request))
    if request.method == "DELETE":
        scim_user_delete(actor=token, person=person, origin=origin)
        return respond(None, status=204)
    current = user_resource(person, base)
    body = protocol.json_body(request)
    if request.method == "PUT":
        wanted = protocol.validated(UserResource, body, Context.RESOURCE_REPLACEMENT_REQUEST)
        with POLICY:
            wanted.replace(current)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = protocol.validated(PatchOp[UserResource], body, Context.RESOURCE_PATCH_REQUEST)
        patch.patch(current, scim_policy=POLICY)
        wanted, context = current, Context.RESOURCE_PATCH_RESPONSE
    updated = scim_user_update(actor=token, person=person, resource=wanted, origin=origin)
    return respond(_resource_body(user_resource(updated, base), context, request))
