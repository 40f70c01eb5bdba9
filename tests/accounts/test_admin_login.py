"""The Django admin signs people in only through the portal's sign-in page and its rate limits."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD


def _staff(db: None) -> User:
    return User.objects.create_user(email="staff@spark.example", password=PASSWORD, is_staff=True, is_superuser=True)


def test_admin_login_form_takes_no_password(db: None) -> None:
    staff = _staff(db)
    client = Client()
    for _ in range(3):
        response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
    assert client.get("/admin/").status_code == 302  # still signed out: the credentials were not checked


def test_failed_attempts_are_limited_for_staff_too(db: None) -> None:
    staff = _staff(db)
    client = Client()
    for _ in range(25):
        client.post("/auth/login/", {"login": staff.email, "password": "wrong password"})
    response = client.post("/auth/login/", {"login": staff.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session, "the right password was accepted after 25 wrong ones"
    assert response.status_code in (200, 429)
    assert "Too many" in response.content.decode() or response.status_code == 429


def test_staff_reach_the_admin_after_the_portal_sign_in(db: None) -> None:
    staff = _staff(db)
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"], follow=True)
    assert login.status_code == 200
    signed_in = client.post("/auth/login/?next=/admin/", {"login": staff.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_member_without_staff_access_is_told_so(db: None) -> None:
    member = User.objects.create_user(email="member@acme.example", password=PASSWORD)
    client = Client()
    client.force_login(member)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403 and "not a platform staff account" in response.content.decode()
    assert client.get("/admin/login/?next=https://evil.example/").status_code == 403
