from __future__ import annotations

from django.urls import path

from orgadmin import (
    activity_views,
    assistant_policy_views,
    audit_stream_views,
    connection_policy_views,
    people_views,
    policy_views,
    views,
)

app_name = "orgadmin"

urlpatterns = [
    path("org/<slug:slug>/", views.home, name="home"),
    path("org/<slug:slug>/contact/", views.contact_set, name="contact"),
    path("org/<slug:slug>/mfa/", views.mfa_requirement, name="mfa"),
    path("org/<slug:slug>/connectors/<str:platform>/publish/", views.connector_publish, name="connector-publish"),
    path("org/<slug:slug>/connectors/<str:platform>/unpublish/", views.connector_unpublish, name="connector-unpublish"),
    path("org/<slug:slug>/connectors/<str:platform>/remove/", views.connector_remove, name="connector-remove"),
    path("org/<slug:slug>/access/end/", views.access_end, name="access-end"),
    path("org/<slug:slug>/access/restore/", views.access_restore, name="access-restore"),
    path("org/<slug:slug>/clients/new/", views.client_create, name="client-create"),
    path("org/<slug:slug>/clients/<int:client_id>/delete/", views.client_delete, name="client-delete"),
    path("org/<slug:slug>/audit/", activity_views.audit_log, name="audit"),
    path("org/<slug:slug>/audit.csv", activity_views.audit_export, name="audit-export"),
    path("org/<slug:slug>/usage/", activity_views.usage, name="usage"),
    path("org/<slug:slug>/audiences/", views.audiences, name="audiences"),
    path("org/<slug:slug>/domains/", views.domains, name="domains"),
    path("org/<slug:slug>/domains/<int:domain_id>/enable/", views.domain_enable, name="domain-enable"),
    path("org/<slug:slug>/domains/<int:domain_id>/disable/", views.domain_disable, name="domain-disable"),
    path("org/<slug:slug>/domains/<int:domain_id>/verify/", views.domain_verify, name="domain-verify"),
    path("org/<slug:slug>/domains/<int:domain_id>/remove/", views.domain_remove, name="domain-remove"),
    path("org/<slug:slug>/members/", people_views.member_list, name="members"),
    path("org/<slug:slug>/members/<int:membership_id>/role/", people_views.member_role, name="member-role"),
    path("org/<slug:slug>/members/<int:membership_id>/remove/", people_views.member_remove, name="member-remove"),
    path(
        "org/<slug:slug>/members/<int:membership_id>/two-factor-reset/",
        people_views.member_two_factor_reset,
        name="member-mfa-reset",
    ),
    path(
        "org/<slug:slug>/invitations/<int:invitation_id>/resend/",
        people_views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "org/<slug:slug>/invitations/<int:invitation_id>/withdraw/",
        people_views.invitation_withdraw,
        name="invitation-withdraw",
    ),
    path("org/<slug:slug>/people-access/", people_views.people_access, name="people-access"),
    path("org/<slug:slug>/people-access/<str:key>/revoke/", people_views.credential_revoke, name="credential-revoke"),
    path("org/<slug:slug>/people/<int:user_id>/revoke/", people_views.person_revoke, name="person-revoke"),
    path("org/<slug:slug>/doctor/", people_views.doctor, name="doctor"),
    path("org/<slug:slug>/policies/", policy_views.policies, name="policies"),
    # The audit policies and the SIEM stream (orgadmin/audit_stream_views.py).
    path("org/<slug:slug>/policies/audit/", audit_stream_views.audit_stream, name="audit-stream"),
    path("org/<slug:slug>/policies/audit/test/", audit_stream_views.audit_stream_test, name="audit-stream-test"),
    path("org/<slug:slug>/policies/audit/rotate/", audit_stream_views.audit_stream_rotate, name="audit-stream-rotate"),
    path("org/<slug:slug>/policies/audit/remove/", audit_stream_views.audit_stream_remove, name="audit-stream-remove"),
    path("org/<slug:slug>/policies/audit/resend/", audit_stream_views.audit_stream_resend, name="audit-stream-resend"),
    # Assistant policies: approval of new clients, lifetimes (oauth_server.assistant_policies)
    path(
        "org/<slug:slug>/policies/assistants/",
        assistant_policy_views.assistant_policies,
        name="assistant_policies",
    ),
    path(
        "org/<slug:slug>/policies/assistants/<int:approval_id>/decide/",
        assistant_policy_views.approval_decision,
        name="approval_decision",
    ),
    path(
        "org/<slug:slug>/policies/connections/",
        connection_policy_views.connection_policies,
        name="connection_policies",
    ),
]
