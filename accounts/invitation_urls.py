from __future__ import annotations

from django.urls import path

from accounts import invitation_views

app_name = "invitations"

urlpatterns = [path("<str:key>/", invitation_views.invitation_open, name="open")]
