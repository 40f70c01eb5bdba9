from __future__ import annotations

from django.urls import path

from oauth_server import views

app_name = "oauth_server"

urlpatterns = [
    path("settings/connected-apps/", views.connected_apps, name="connected-apps"),
    path(
        "settings/connected-apps/<int:connection_id>/revoke/",
        views.connected_app_revoke,
        name="connected-app-revoke",
    ),
]
