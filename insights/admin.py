from __future__ import annotations

from django.contrib import admin

from insights.models import ChatRecord, InsightRecord, SavedAudience


@admin.register(SavedAudience)
class SavedAudienceAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "organization", "dataset", "created_by", "created_at"]
    list_select_related = ["organization", "dataset", "created_by"]
    search_fields = ["id", "name", "organization__name"]
    readonly_fields = ["id", "created_at"]


@admin.register(ChatRecord)
class ChatRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "user", "created_at", "updated_at"]
    list_select_related = ["organization", "user"]
    readonly_fields = ["id", "organization", "user", "context", "created_at", "updated_at"]


@admin.register(InsightRecord)
class InsightRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "text", "created_at"]
    list_select_related = ["organization"]
    search_fields = ["id", "text"]
    readonly_fields = ["id", "organization", "chat", "text", "spec", "metrics", "created_at"]
