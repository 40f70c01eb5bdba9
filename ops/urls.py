from __future__ import annotations

from django.urls import path

from ops import views

app_name = "ops"
urlpatterns = [
    path("metrics", views.metrics_view, name="metrics"),
    path("status/", views.system_status, name="status"),
]
