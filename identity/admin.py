"""Staff see organizations' identity provider connections; changes go through the console or
`manage.py sso_connection`, which audit them."""

from __future__ import annotations

from allauth.socialaccount.admin import SocialAppAdmin
from allauth.socialaccount.models import SocialApp
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


class ConnectionAppAdmin(SocialAppAdmin):
    """allauth's page for social apps, but an app a connection owns is only seen here: removing it
    would take the connection with it without ending the tokens it vouched for or auditing it
    (`identity.services.connection_delete` does both)."""

    def has_change_permission(self, request: HttpRequest, obj: SocialApp | None = None) -> bool:
        return obj is None or not IdentityConnection.objects.filter(app=obj).exists()

    def has_delete_permission(self, request: HttpRequest, obj: SocialApp | None = None) -> bool:
        # No bulk delete (obj None) either: the selection could hold a connection's app.
        return obj is not None and not IdentityConnection.objects.filter(app=obj).exists()


admin.site.unregister(SocialApp)
admin.site.register(SocialApp, ConnectionAppAdmin)
