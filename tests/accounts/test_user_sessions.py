"""Whose sessions are whose (accounts/user_sessions.py, allauth.usersessions): every sign-in is
recorded, a person's sessions end by a query, and sessions from before the records were kept are
recorded by migration."""

from __future__ import annotations

from importlib import import_module

from allauth.usersessions.models import UserSession
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.user_sessions import sessions_end
from tests.factories import PASSWORD, World

MIGRATION = import_module("accounts.migrations.0015_user_sessions_recorded")


def _signed_in(client: Client) -> bool:
    return client.get("/settings/").status_code == 200


def test_a_password_sign_in_is_recorded_with_its_address(world: World) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Test browser")
    client.post(reverse("account_login"), {"login": "member@acme.example", "password": PASSWORD})
    row = UserSession.objects.get(user=world.member)
    assert row.session_key == client.session.session_key
    assert row.ip == "203.0.113.9"
    assert row.user_agent == "Test browser"


def test_ending_a_persons_sessions_ends_theirs_only(world: World) -> None:
    member, again, admin = Client(), Client(), Client()
    member.force_login(world.member)
    again.force_login(world.member)
    admin.force_login(world.admin)
    assert sessions_end(world.member) == 2
    assert not _signed_in(member)
    assert not _signed_in(again)
    assert _signed_in(admin)


def test_a_signed_out_session_is_not_counted(world: World) -> None:
    client = Client()
    client.force_login(world.member)
    client.logout()
    assert sessions_end(world.member) == 0


def test_a_session_from_before_the_records_is_recorded_by_the_migration(world: World) -> None:
    client = Client()
    client.force_login(world.member)
    UserSession.objects.all().delete()  # as before the app was installed
    MIGRATION.record_live_sessions(apps, None)
    assert UserSession.objects.get().session_key == client.session.session_key
    assert sessions_end(world.member) == 1
    assert not _signed_in(client)


def test_allauths_session_list_is_not_served(member_client: Client) -> None:
    assert member_client.get("/auth/sessions/").status_code == 404
