from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_settings, name="settings"),
    path("email/", views.email_change, name="email"),
    path("email/confirm/<str:token>/", views.email_change_confirmed, name="email-confirm"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_create, name="token-create"),
    path("tokens/<int:token_id>/created/", views.token_created, name="token-created"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token-rotate"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
