"""Django admin for platform staff: publications, connected apps, organization clients."""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin as DOTApplicationAdmin
from oauth2_provider.models import Application

from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient


@admin.register(ConnectorPublication)
class ConnectorPublicationAdmin(admin.ModelAdmin):
    list_display = ["organization", "platform", "published", "changed_by", "changed_at"]
    list_filter = ["platform", "published"]
    list_select_related = ["organization", "changed_by"]
    search_fields = ["organization__name"]


@admin.register(ConnectedApp)
class ConnectedAppAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "platform", "application", "first_authorized_at", "last_used_at"]
    list_filter = ["platform"]
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
    view_on_site = False
