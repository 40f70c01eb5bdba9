"""Root URLs: portal pages, sign-in (django-allauth), the MCP endpoint and its metadata, admin."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

urlpatterns = [
    path("", lambda request: redirect("accounts:settings"), name="home"),
    path("settings/", include("accounts.urls")),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("mcp_api.urls")),
]
