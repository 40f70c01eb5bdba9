from __future__ import annotations

from django.contrib import admin

from catalog.models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "visibility", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["code", "name"]
