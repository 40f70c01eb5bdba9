from __future__ import annotations

from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("datasets/<slug:code>/", views.dataset_detail, name="dataset"),
    path("insights/<slug:insight_id>/", views.insight_detail, name="insight"),  # ins_…: a NUL is no route
]
