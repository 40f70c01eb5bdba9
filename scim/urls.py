"""/scim/v2 (RFC 7644, for identity providers) and the organization console's SCIM token page."""

from __future__ import annotations

from django.urls import path, re_path

from scim import console_views, views

app_name = "scim"

urlpatterns = [
    path("org/<slug:slug>/scim/", console_views.tokens, name="tokens"),
    path("org/<slug:slug>/scim/tokens/<int:token_id>/created/", console_views.token_created, name="token-created"),
    path("org/<slug:slug>/scim/tokens/<int:token_id>/revoke/", console_views.token_revoke, name="token-revoke"),
    # Identity providers are given the base URL …/scim/v2 with or without a trailing slash.
    re_path(r"^scim/v2/+ServiceProviderConfigs?/?$", views.service_provider_config, name="service-provider-config"),
    re_path(r"^scim/v2/+ResourceTypes/?$", views.resource_types, name="resource-types"),
    re_path(r"^scim/v2/+ResourceTypes/(?P<type_id>[^/]+)/?$", views.resource_type, name="resource-type"),
    re_path(r"^scim/v2/+Schemas/?$", views.schemas, name="schemas"),
    re_path(r"^scim/v2/+Schemas/(?P<schema_id>[^/]+)/?$", views.schema, name="schema"),
    re_path(r"^scim/v2/+Users/?$", views.users, name="users"),
    re_path(r"^scim/v2/+(?:Users/)?\.search/?$", views.search, name="search"),
    re_path(r"^scim/v2/+Users/(?P<scim_id>[^/]+)/?$", views.user, name="user"),
    re_path(r"^scim/v2/?(?P<rest>.*)$", views.not_found, name="not-found"),
]
