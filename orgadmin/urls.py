from __future__ import annotations

from django.urls import path

from orgadmin import views

app_name = "orgadmin"

urlpatterns = [
    path("org/<slug:slug>/", views.home, name="home"),
    path("org/<slug:slug>/connectors/<str:platform>/publish/", views.connector_publish, name="connector-publish"),
    path("org/<slug:slug>/connectors/<str:platform>/unpublish/", views.connector_unpublish, name="connector-unpublish"),
    path("org/<slug:slug>/access/end/", views.access_end, name="access-end"),
    path("org/<slug:slug>/access/restore/", views.access_restore, name="access-restore"),
    path("org/<slug:slug>/clients/new/", views.client_create, name="client-create"),
    path("org/<slug:slug>/clients/<int:client_id>/delete/", views.client_delete, name="client-delete"),
    path("org/<slug:slug>/audit/", views.audit_log, name="audit"),
    path("org/<slug:slug>/audiences/", views.audiences, name="audiences"),
    path("org/<slug:slug>/domains/", views.domains, name="domains"),
    path("org/<slug:slug>/domains/<int:domain_id>/enable/", views.domain_enable, name="domain-enable"),
    path("org/<slug:slug>/domains/<int:domain_id>/disable/", views.domain_disable, name="domain-disable"),
    path("org/<slug:slug>/domains/<int:domain_id>/remove/", views.domain_remove, name="domain-remove"),
]
