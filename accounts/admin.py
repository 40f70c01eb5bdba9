"""Django admin for platform staff. Token secrets never appear: only prefixes and digests (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts import services
from accounts.gates import access_problem
from accounts.models import (
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    User,
)
from audit.actors import Actor
from audit.services import Origin

ACCESS_FIELDS = {"access_status", "access_starts_on", "access_ends_on"}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class EmailDomainInline(admin.TabularInline):
    model = EmailDomain
    extra = 0
    readonly_fields = ["verified_at", "verified_by"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "domains", "access_status", "access_window", "access_open"]
    list_filter = ["access_status"]
    search_fields = ["name", "slug", "email_domains__domain"]
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ["datasets"]
    inlines = [EmailDomainInline, MembershipInline]
    readonly_fields = ["status_before_end"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        """Staff's change of status or dates goes through the service that audits it and forgets
        what an organization admin's end had remembered: what staff set is what stands."""
        super().save_model(request, obj, form, change)
        if change and ACCESS_FIELDS & set(form.changed_data):
            services.organization_access_grant(
                organization=obj,
                status=obj.access_status,
                starts_on=obj.access_starts_on,
                ends_on=obj.access_ends_on,
                actor=request.user,  # type: ignore[arg-type]
                origin=Origin.of(request),
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        members = Count("memberships", distinct=True)
        return super().get_queryset(request).annotate(member_total=members).prefetch_related("email_domains")

    @admin.display(description="members", ordering="member_total")
    def member_count(self, organization: Organization) -> int:
        return int(getattr(organization, "member_total", 0))

    @admin.display(description="email domains")
    def domains(self, organization: Organization) -> str:
        """Every domain, the disabled ones marked (from the prefetch: no query per row)."""
        names = sorted(organization.email_domains.all(), key=lambda d: d.domain)
        return ", ".join(d.domain if d.enabled else f"{d.domain} (disabled)" for d in names) or "—"

    @admin.display(description="access window", ordering="access_starts_on")
    def access_window(self, organization: Organization) -> str:
        ends = organization.access_ends_on
        return f"{organization.access_starts_on} → {ends if ends else 'open-ended'}"

    @admin.display(description="open today", boolean=True)
    def access_open(self, organization: Organization) -> bool:
        """Whether the gates let the organization's members in today (status and window)."""
        problem = access_problem(
            organization.access_status,
            organization.access_starts_on,
            organization.access_ends_on,
            timezone.localdate(),
        )
        return problem is None


@admin.register(EmailDomain)
class EmailDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "organization", "enabled", "is_verified", "verified_by", "verified_at"]
    list_filter = ["enabled", "verified_by"]
    list_select_related = ["organization"]
    search_fields = ["domain", "organization__name"]
    readonly_fields = ["txt_name", "txt_value", "verified_at", "verified_by"]
    actions = ["verify_by_staff"]

    @admin.display(description="verified", boolean=True)
    def is_verified(self, domain: EmailDomain) -> bool:
        return domain.verified

    @admin.action(description="Mark selected domains verified (staff override: you checked the owner another way)")
    def verify_by_staff(self, request: HttpRequest, queryset: QuerySet[EmailDomain]) -> None:
        count = 0
        for domain in queryset.filter(verified_at__isnull=True).select_related("organization"):
            services.domain_verify_by_staff(domain=domain, actor=request.user, origin=Origin.of(request))  # type: ignore[arg-type]
            count += 1
        self.message_user(
            request, f"Marked {count} domain{pluralize(count)} verified; each is in its organization's audit trail."
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "display_prefix",
        "user",
        "organization",
        "status",
        "expires_at",
        "last_used_at",
    ]
    list_select_related = ["user", "organization"]
    search_fields = ["name", "prefix", "user__email"]
    readonly_fields = [
        "prefix",
        "digest",
        "created_at",
        "last_used_at",
        "revoked_at",
        "user",
        "organization",
        "scopes",
    ]
    fields = [
        "name",
        "user",
        "organization",
        "scopes",
        "prefix",
        "digest",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # secrets are shown once, to their owner, from account settings

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.token_revoke(token=token, actor=Actor.staff(request.user), origin=Origin.of(request))  # type: ignore[arg-type]
            count += 1
        self.message_user(request, f"Revoked {count} token{pluralize(count)}.", messages.SUCCESS)
