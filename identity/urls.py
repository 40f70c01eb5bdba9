from __future__ import annotations

from django.urls import path

from identity import console_views, views

app_name = "identity"

urlpatterns = [
    path("auth/sso/discover/", views.sso_discover, name="sso-discover"),
    path("auth/sso/start/", views.sso_start, name="sso-start"),
    path("org/<slug:slug>/sso/", console_views.sso_settings, name="sso"),
    path("org/<slug:slug>/sso/require/", console_views.require_sso, name="require-sso"),
    path("org/<slug:slug>/sso/new/<str:kind>/", console_views.connection_new, name="connection-new"),
    path("org/<slug:slug>/sso/<int:connection_id>/", console_views.connection_detail, name="connection"),
    path(
        "org/<slug:slug>/sso/<int:connection_id>/enabled/", console_views.connection_enabled, name="connection-enabled"
    ),
    path("org/<slug:slug>/sso/<int:connection_id>/id-jag/", console_views.connection_id_jag, name="connection-id-jag"),
    path("org/<slug:slug>/sso/<int:connection_id>/delete/", console_views.connection_delete, name="connection-delete"),
]
