from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import (
    assistant_views,
    audit_views,
    client_views,
    domain_views,
    member_views,
    organization_views,
    token_views,
    usage_views,
    views,
)

app_name = "api"


class IdConverter:
    """A row ID: 1 to 18 digits, so it fits any database's 64-bit integer (a longer one is no route: 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class NameConverter:
    """A name in a path (an email domain): any text but a slash or a NUL, which no database column
    holds (PostgreSQL refuses to compare with one), so it is no route: 404."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "id")
register_converter(NameConverter, "name")

ORG = "v1/organizations/<slug:slug>"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/me", token_views.Me.as_view(), name="me"),
    path("v1/me/tokens", token_views.OwnTokens.as_view(), name="own-tokens"),
    path("v1/me/tokens/<id:token_id>", token_views.OwnTokenDetail.as_view(), name="own-token"),
    path("v1/me/tokens/<id:token_id>/rotate", token_views.OwnTokenRotate.as_view(), name="own-token-rotate"),
    path("v1/me/connected-apps", token_views.OwnConnectedApps.as_view(), name="own-connected-apps"),
    path(
        "v1/me/connected-apps/<id:connection_id>", token_views.OwnConnectedAppDetail.as_view(), name="own-connected-app"
    ),
    path("v1/organizations", organization_views.Organizations.as_view(), name="organizations"),
    path(ORG, organization_views.OrganizationDetail.as_view(), name="organization"),
    path(f"{ORG}/members", member_views.Members.as_view(), name="members"),
    path(f"{ORG}/members/<id:user_id>", member_views.MemberDetail.as_view(), name="member"),
    path(f"{ORG}/members/<id:user_id>/mfa-reset", member_views.MemberMFAReset.as_view(), name="member-mfa-reset"),
    path(f"{ORG}/connectors", client_views.Connectors.as_view(), name="connectors"),
    path(f"{ORG}/connectors/<str:platform>", client_views.ConnectorDetail.as_view(), name="connector"),
    path(f"{ORG}/tokens", token_views.OrganizationTokens.as_view(), name="tokens"),
    path(f"{ORG}/tokens/<id:token_id>", token_views.OrganizationTokenDetail.as_view(), name="token"),
    path(f"{ORG}/connected-apps", token_views.OrganizationConnectedApps.as_view(), name="connected-apps"),
    path(
        f"{ORG}/connected-apps/<id:connection_id>",
        token_views.OrganizationConnectedAppDetail.as_view(),
        name="connected-app",
    ),
    path(f"{ORG}/domains", domain_views.Domains.as_view(), name="domains"),
    path(f"{ORG}/domains/<name:domain>", domain_views.DomainDetail.as_view(), name="domain"),
    path(f"{ORG}/domains/<name:domain>/verify", domain_views.DomainVerify.as_view(), name="domain-verify"),
    path(f"{ORG}/access", organization_views.Access.as_view(), name="access"),
    path(f"{ORG}/policies", organization_views.OrganizationPolicies.as_view(), name="policies"),
    # The audit policies and the audit stream (api/audit_views.py).
    path(f"{ORG}/audit-policies", audit_views.OrganizationAuditPolicies.as_view(), name="audit-policies"),
    path(f"{ORG}/audit-stream", audit_views.OrganizationAuditStream.as_view(), name="audit-stream"),
    path(f"{ORG}/audit-stream/test", audit_views.AuditStreamTest.as_view(), name="audit-stream-test"),
    path(f"{ORG}/audit-stream/secret", audit_views.AuditStreamSecret.as_view(), name="audit-stream-secret"),
    path(f"{ORG}/audit-stream/dead-letters", audit_views.AuditStreamDeadLetters.as_view(), name="dead-letters"),
    path(f"{ORG}/audit-stream/dead-letters/resend", audit_views.AuditStreamResend.as_view(), name="resend"),
    # Assistant policies: approval of new clients, lifetimes (api.assistant_views)
    path(f"{ORG}/assistant-policies", assistant_views.AssistantPoliciesView.as_view(), name="assistant-policies"),
    path(f"{ORG}/assistant-approvals", assistant_views.AssistantApprovals.as_view(), name="assistant-approvals"),
    path(
        f"{ORG}/assistant-approvals/<id:approval_id>",
        assistant_views.AssistantApprovalDetail.as_view(),
        name="assistant-approval",
    ),
    path(f"{ORG}/usage", usage_views.Usage.as_view(), name="usage"),
    path(f"{ORG}/doctor", usage_views.Doctor.as_view(), name="doctor"),
    path(f"{ORG}/audiences", client_views.Audiences.as_view(), name="audiences"),
    path(f"{ORG}/clients", client_views.Clients.as_view(), name="clients"),
    path(f"{ORG}/clients/<id:client_id>", client_views.ClientDetail.as_view(), name="client"),
    path(f"{ORG}/audit-events", audit_views.AuditEvents.as_view(), name="audit-events"),
    path(f"{ORG}/audit-events/export", audit_views.AuditExport.as_view(), name="audit-export"),
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found),  # newlines too,
]
