"""The audit trail in the Django admin: read-only, for platform staff."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


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

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # nobody erases the trail; organizations leave with theirs (cascade)
