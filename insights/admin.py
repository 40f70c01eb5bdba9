from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User
from audit.services import Origin
from catalog.models import Dataset
from insights import services
from insights.models import ChatRecord, InsightRecord, SavedAudience

LIFECYCLE = {
    "retire_datasets": (
        "Retire",
        "They will no longer be offered: no tool lists them or answers from them, no discovery document "
        "names them and no new token or assistant gets them. The organizations keep them, insights stated "
        "from them still open, and Restore brings everything back.",
    ),
    "restore_datasets": ("Restore", "They will be offered again to the organizations that hold them."),
    "remove_datasets": (
        "Remove",
        "They will be removed for good: their rows, the saved audiences on them, and their data on this "
        "server and in the shared data store (other servers remove theirs at their next retention run). "
        "Insights stated from them then say they are from a removed dataset. This cannot be undone.",
    ),
}


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "active"), ("retired", "retired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
        if self.value() in ("active", "retired"):
            return queryset.filter(retired_at__isnull=self.value() == "active")
        return queryset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Datasets for staff: visibility is edited here; retiring, restoring and removing are actions
    with a confirmation page, each recorded in the audit trail with the member of staff as actor."""

    list_display = ["code", "name", "visibility", "state", "holders", "created_at"]
    list_filter = ["visibility", StateFilter]
    search_fields = ["code", "name"]
    readonly_fields = ["retired_at"]
    actions = ["retire_datasets", "restore_datasets", "remove_datasets"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dataset]:
        return super().get_queryset(request).annotate(holder_total=Count("organizations"))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # "Remove" takes it from its organizations and removes its data too

    @admin.display(description="organizations", ordering="holder_total")
    def holders(self, dataset: Dataset) -> int:
        return int(getattr(dataset, "holder_total", 0))

    @admin.display(description="state")
    def state(self, dataset: Dataset) -> str:
        return dataset.state

    @admin.action(description="Retire selected datasets (no longer offered; reversible)")
    def retire_datasets(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> TemplateResponse | None:
        return self._confirmed(request, queryset, "retire_datasets", self._retire)

    @admin.action(description="Restore selected retired datasets (offered again)")
    def restore_datasets(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> TemplateResponse | None:
        return self._confirmed(request, queryset, "restore_datasets", self._restore)

    @admin.action(description="Remove selected datasets for good, with their data")
    def remove_datasets(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> TemplateResponse | None:
        return self._confirmed(request, queryset, "remove_datasets", self._remove)

    def _confirmed(
        self,
        request: HttpRequest,
        queryset: QuerySet[Dataset],
        action: str,
        act: Callable[[HttpRequest, Dataset], str],
    ) -> TemplateResponse | None:
        """The confirmation page first; once confirmed, `act` on each dataset and say what it did."""
        if request.POST.get("post") != "yes":
            verb, words = LIFECYCLE[action]
            context = {
                **self.admin_site.each_context(request),
                "title": f"{verb} datasets",
                "opts": self.model._meta,
                "queryset": queryset,
                "action": action,
                "verb": verb,
                "words": words,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/catalog/dataset/lifecycle_confirm.html", context)
        for dataset in queryset:
            said = act(request, dataset)
            self.message_user(request, said, messages.ERROR if said.startswith("Not ") else messages.SUCCESS)
        return None

    def _retire(self, request: HttpRequest, dataset: Dataset) -> str:
        changed = services.dataset_retire(dataset=dataset, actor=_staff(request), origin=Origin.of(request))
        return f"{dataset.code}: {'retired' if changed else 'already retired'}."

    def _restore(self, request: HttpRequest, dataset: Dataset) -> str:
        changed = services.dataset_restore(dataset=dataset, actor=_staff(request), origin=Origin.of(request))
        return f"{dataset.code}: {'restored' if changed else 'already active'}."

    def _remove(self, request: HttpRequest, dataset: Dataset) -> str:
        take = request.POST.get("take_from_organizations") == "yes"
        try:
            removed = services.dataset_remove(
                code=dataset.code, take_from_organizations=take, actor=_staff(request), origin=Origin.of(request)
            )
        except ValidationError as refused:
            return f"Not removed: {' '.join(refused.messages)}"
        taken = f", taken from {', '.join(removed.taken_from)}" if removed.taken_from else ""
        if removed.problem:
            return f"{dataset.code}: removed{taken}, but not its data in the shared store ({removed.problem})."
        return f"{dataset.code}: removed{taken}, with {len(removed.versions)} data version(s) here."


def _staff(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # the admin lets only staff in


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
