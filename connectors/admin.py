"""Django admin for platform staff: publications, connected apps, organization clients, audit."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from connectors.models import AuditEvent, ConnectedApp, ConnectorPublication, OrganizationClient


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


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "actor", "action", "summary", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["organization", "actor"]
    search_fields = ["summary", "actor__email", "organization__name"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the trail is written by the product, never by hand

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
