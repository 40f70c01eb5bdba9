"""Django admin for platform staff: publications, connected apps, organization clients."""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin as DOTApplicationAdmin
from oauth2_provider.models import Application

from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.platforms import Platform
from oauth_server.selectors import application_platform


@admin.register(ConnectorPublication)
class ConnectorPublicationAdmin(admin.ModelAdmin):
    list_display = ["organization", "platform", "published", "changed_by", "changed_at"]
    list_filter = ["platform", "published"]
    list_select_related = ["organization", "changed_by"]
    search_fields = ["organization__name"]


@admin.register(ConnectedApp)
class ConnectedAppAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "organization",
        "platform",
        "application",
        "first_authorized_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["platform", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "organization", "application"]
    search_fields = ["user__email", "organization__name", "application__name"]
    readonly_fields = [
        "user",
        "organization",
        "application",
        "platform",
        "scope",
        "first_authorized_at",
        "last_authorized_at",
        "last_used_at",
        "last_used_address",
        "last_used_agent",
        "revoked_at",
        "revoked_by",
    ]


@admin.register(OrganizationClient)
class OrganizationClientAdmin(admin.ModelAdmin):
    list_display = ["application", "organization", "created_by", "created_at"]
    list_select_related = ["application", "organization", "created_by"]
    readonly_fields = ["application", "organization", "created_by", "created_at"]


# django-oauth-toolkit's application admin links "View on site" to a page this server does not
# serve (its application-management views are not mounted): the admin keeps everything else.
admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(DOTApplicationAdmin):
    """Each client with the organization that owns it (confidential clients an organization admin
    created) and the assistant platform its redirect URIs belong to."""

    view_on_site = False
    list_display = ("pk", "name", "organization", "platform", "client_type", "registration_source", "created")
    list_filter = (*DOTApplicationAdmin.list_filter, "organization_client__organization")
    list_select_related = ("organization_client__organization",)
    search_fields = (*DOTApplicationAdmin.search_fields, "client_id", "organization_client__organization__name")

    @admin.display(description="organization", ordering="organization_client__organization__name")
    def organization(self, application: Application) -> str:
        try:
            return str(application.organization_client.organization)
        except OrganizationClient.DoesNotExist:
            return "—"

    @admin.display(description="platform")
    def platform(self, application: Application) -> str:
        platform = application_platform(application)
        return Platform(platform).label if platform else "none (redirect URIs match no platform)"
