from __future__ import annotations

from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("settings/connected-apps/", views.connected_apps, name="connected-apps"),
    path(
        "settings/connected-apps/<int:connection_id>/revoke/",
        views.connected_app_revoke,
        name="connected-app-revoke",
    ),
    path("org/<slug:slug>/", views.organization_home, name="organization"),
    path(
        "org/<slug:slug>/connectors/<str:platform>/publish/",
        views.connector_publish,
        name="connector-publish",
    ),
    path(
        "org/<slug:slug>/connectors/<str:platform>/unpublish/",
        views.connector_unpublish,
        name="connector-unpublish",
    ),
    path("org/<slug:slug>/access/end/", views.access_end, name="access-end"),
    path("org/<slug:slug>/access/restore/", views.access_restore, name="access-restore"),
    path("org/<slug:slug>/clients/new/", views.client_create, name="client-create"),
    path("org/<slug:slug>/clients/<int:client_id>/delete/", views.client_delete, name="client-delete"),
    path("org/<slug:slug>/audit/", views.audit_log, name="audit"),
]
