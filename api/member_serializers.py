"""The management API's serializers for members and invitations (api/member_views.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import Role


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A member",
            value={
                "id": 2,
                "email": "member@acme.example",
                "name": "Max Member",
                "role": "member",
                "joined_at": "2026-11-28T09:30:00Z",
            },
            response_only=True,
        )
    ]
)
class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")
    two_factor = serializers.BooleanField(
        help_text="Whether they have a second factor (an authenticator app or a security key)."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A lost phone: its authenticator app and recovery codes removed",
            value={
                "member": {
                    "id": 12,
                    "email": "max@acme.example",
                    "name": "Max Member",
                    "role": "member",
                    "joined_at": "2026-01-05T09:30:00Z",
                    "two_factor": False,
                },
                "removed": 2,
            },
            response_only=True,
        )
    ]
)
class MFAResetSerializer(serializers.Serializer):
    member = MemberSerializer()
    removed = serializers.IntegerField(
        help_text="Authenticators removed (an authenticator app, a security key, the recovery codes); 0: none."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invite a member", value={"email": "new.person@acme.example", "role": "member"}, request_only=True
        )
    ]
)
class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invited and mailed",
            value={
                "invitation_id": 7,
                "email": "new.person@acme.example",
                "role": "member",
                "expires_at": "2026-12-05T09:30:00Z",
                "emailed": True,
                "domain_enabled": True,
            },
            response_only=True,
        )
    ]
)
class InvitationSerializer(serializers.Serializer):
    invitation_id = serializers.IntegerField(source="invitation.pk", help_text="An invitation, not yet a member.")
    email = serializers.EmailField(source="invitation.email")
    role = serializers.CharField(source="invitation.role")
    expires_at = serializers.DateTimeField(source="invitation.expires_at")
    emailed = serializers.BooleanField(help_text="False when the mail server refused it: send it again later.")
    domain_enabled = serializers.BooleanField(
        help_text="False when the address's email domain is not enabled for the organization: once they join, "
        "they cannot use Spark Portal until it is (add or enable it: …/domains)."
    )


@extend_schema_serializer(examples=[OpenApiExample("Make them an admin", value={"role": "admin"}, request_only=True)])
class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MemberFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=254, trim_whitespace=False, help_text="Part of an email address or name."
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
