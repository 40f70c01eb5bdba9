"""Staff see organizations' identity provider connections; changes go through the console or
`manage.py sso_connection`, which audit them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from identity.models import IdentityConnection


@admin.register(IdentityConnection)
class IdentityConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "kind", "provider_id", "enabled", "id_jag_enabled", "last_sign_in_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "provider_id", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    readonly_fields = [f.name for f in IdentityConnection._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IdentityConnection | None = None) -> bool:
        return False
