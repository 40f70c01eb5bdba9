"""The social account adapter's rules, through the whole OIDC sign-in (Spark Portal's views, allauth's
callback, the stand-in IdP): who is let in, who is made just in time, and who is refused, why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.services import domain_add
from audit.models import AuditEvent
from identity.models import IdentityConnection, SsoRefusal
from identity.refusals import explain
from identity.sealing import CLIENT_SECRETS
from identity.selectors import standing_sso_refusal
from identity.services import connection_set_enabled
from tests.factories import PASSWORD, World, make_user
from tests.fake_idp import FakeIdp, sso_sign_in


def _refusals(organization):  # type: ignore[no-untyped-def]
    """The organization's "SSO refused" events, newest first."""
    return AuditEvent.objects.filter(organization=organization, action="sso.refused").order_by("-created_at", "-pk")


def _signed_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _refused(response, reason: str) -> str:
    assert response.status_code == 403, response.content[:800]
    page = response.content.decode()
    assert f'data-reason="{reason}"' in page, page[:2000]
    return page


def test_the_first_sign_in_makes_the_person_and_membership(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    response = sso_sign_in(client, fake_idp, typed="New.Person@acme.example", name="New Person")
    assert response.status_code == 302 and response["Location"] == "/settings/"
    user = _signed_in(client)
    assert user is not None and user.email == "new.person@acme.example" and user.full_name == "New Person"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organization=world.acme).role == Role.MEMBER
    assert SocialAccount.objects.get(user=user).provider == connection.provider_id
    actions = set(AuditEvent.objects.filter(organization=world.acme).values_list("action", flat=True))
    assert {"sso.user_created", "sso.signed_in"} <= actions
    connection.refresh_from_db()
    assert connection.last_sign_in_at is not None
    # The session lasts the SSO session lifetime (8 hours by default), then back through the IdP.
    left = client.session.get_expiry_date() - timezone.now()
    assert dt.timedelta(hours=7, minutes=59) < left <= dt.timedelta(hours=8)


def test_each_sign_in_brings_the_idps_name_and_never_duplicates(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp, name="New Person")
    client = Client()
    sso_sign_in(client, fake_idp, name="New Married-Name")
    user = _signed_in(client)
    assert user is not None and user.full_name == "New Married-Name"
    assert User.objects.filter(email="new.person@acme.example").count() == 1
    assert SocialAccount.objects.count() == 1 and Membership.objects.filter(user=user).count() == 1


def test_next_is_kept_through_the_identity_provider(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    response = sso_sign_in(Client(), fake_idp, next_url="/oauth/authorize/?client_id=abc&state=xyz")
    assert response.status_code == 302 and response["Location"] == "/oauth/authorize/?client_id=abc&state=xyz"
    outside = sso_sign_in(Client(), fake_idp, next_url="https://evil.example/steal")
    assert outside["Location"] == "/settings/"  # an unsafe next is dropped


def test_an_existing_member_is_linked_and_keeps_their_account(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    response = sso_sign_in(client, fake_idp, typed="member@acme.example", name="Max Member")
    assert response.status_code == 302
    assert _signed_in(client) == world.member
    assert world.member.socialaccount_set.get().provider == connection.provider_id  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="sso.account_linked", actor=world.member).exists()
    world.member.refresh_from_db()
    assert world.member.has_usable_password()  # the password stays (SSO is not required)


def test_an_account_that_is_not_a_member_of_the_organization_is_never_taken_over(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Someone with an acme.example address who belongs to Globex only (e.g. a consultant)."""
    consultant = make_user("consultant@acme.example", world.globex)
    client = Client()
    page = _refused(sso_sign_in(client, fake_idp, typed="consultant@acme.example"), "not_member")
    assert "Spark Portal already has an account for consultant@acme.example, and it is not a member of Acme" in page
    assert "Ask your Acme admin to invite consultant@acme.example" in page
    assert _signed_in(client) is None
    assert not SocialAccount.objects.filter(user=consultant).exists()
    assert not Membership.objects.filter(user=consultant, organization=world.acme).exists()
    refused = AuditEvent.objects.get(action="sso.refused", organization=world.acme)
    assert refused.detail["reason"] == "not_member" and refused.detail["email"] == "consultant@acme.example"


def test_a_member_removed_from_the_organization_is_refused_on_the_next_sign_in(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp)
    Membership.objects.filter(user__email="new.person@acme.example").delete()
    _refused(sso_sign_in(Client(), fake_idp), "not_member")


def test_an_email_outside_the_organizations_domains_is_refused_with_the_reason(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    page = _refused(
        sso_sign_in(client, fake_idp, email="eve@else.example"),
        "domain_outside",
    )
    assert "eve@else.example is not at one of Acme&#x27;s email domains (acme.example)" in page
    assert _signed_in(client) is None and not User.objects.filter(email="eve@else.example").exists()
    # another organization's domain is outside too
    _refused(
        sso_sign_in(Client(), fake_idp, email="x@globex.example"),
        "domain_outside",
    )


def test_a_disabled_domain_is_outside(world: World, connection: IdentityConnection, fake_idp: FakeIdp) -> None:
    client = Client()
    fake_idp.claims = {"sub": "idp-1", "email": "new.person@acme.example"}
    started = client.post("/auth/sso/start/", {"login": "new.person@acme.example"})
    world.acme.email_domains.update(enabled=False)  # while the person is at the IdP
    state = started["Location"].split("state=")[1].split("&")[0]
    callback = f"/auth/oidc/{connection.provider_id}/login/callback/"
    _refused(client.get(callback, {"code": "c", "state": state}), "domain_outside")
    again = Client().post("/auth/sso/start/", {"login": "new.person@acme.example"})
    assert again.status_code == 302 and again["Location"].startswith("/auth/login/")  # no SSO offered now


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"is_staff": True}, "staff_account"),
        ({"is_superuser": True}, "staff_account"),
        ({"is_active": False}, "user_inactive"),
    ],
)
def test_staff_and_deactivated_accounts_are_refused(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, change: dict[str, bool], reason: str
) -> None:
    User.objects.filter(pk=world.member.pk).update(**change)
    client = Client()
    _refused(sso_sign_in(client, fake_idp, typed="member@acme.example"), reason)
    assert _signed_in(client) is None and not SocialAccount.objects.exists()


def test_an_unverified_email_is_refused(world: World, connection: IdentityConnection, fake_idp: FakeIdp) -> None:
    _refused(sso_sign_in(Client(), fake_idp, email_verified=False), "email_unverified")
    assert not User.objects.filter(email="new.person@acme.example").exists()


@pytest.mark.parametrize("claimed", ["false", "False", "0", 0, "no", ""])
def test_an_email_the_idp_calls_unverified_in_any_spelling_is_refused(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, claimed: object
) -> None:
    _refused(sso_sign_in(Client(), fake_idp, email_verified=claimed), "email_unverified")
    assert not User.objects.filter(email="new.person@acme.example").exists()


@pytest.mark.parametrize("claimed", [True, "true", "TRUE"])
def test_an_email_the_idp_calls_verified_in_any_spelling_is_let_in(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, claimed: object
) -> None:
    assert sso_sign_in(Client(), fake_idp, email_verified=claimed).status_code == 302


def test_no_email_is_refused(world: World, connection: IdentityConnection, fake_idp: FakeIdp) -> None:
    _refused(sso_sign_in(Client(), fake_idp, email=None), "no_email")


def test_a_second_idp_identity_cannot_take_over_an_address(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """The IdP lets someone else set their email to a colleague's: the colleague's account stays theirs."""
    sso_sign_in(Client(), fake_idp, sub="colleague")
    client = Client()
    _refused(sso_sign_in(client, fake_idp, sub="impostor"), "identity_mismatch")
    assert _signed_in(client) is None


def test_a_changed_address_at_the_organizations_domains_follows_the_idp(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp, sub="p1")
    client = Client()
    sso_sign_in(client, fake_idp, sub="p1", email="renamed@acme.example")
    user = _signed_in(client)
    assert user is not None and user.email == "renamed@acme.example"
    assert AuditEvent.objects.filter(action="sso.email_changed").exists()
    # ...unless another account has that address
    _refused(sso_sign_in(Client(), fake_idp, sub="p1", email="member@acme.example"), "email_in_use")


def test_a_connection_turned_off_meanwhile_refuses(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    fake_idp.claims = {"sub": "idp-1", "email": "new.person@acme.example"}
    started = client.post("/auth/sso/start/", {"login": "new.person@acme.example"})
    connection_set_enabled(connection=connection, enabled=False, actor=world.admin, origin=None)
    state = started["Location"].split("state=")[1].split("&")[0]
    callback = f"/auth/oidc/{connection.provider_id}/login/callback/"
    _refused(client.get(callback, {"code": "c", "state": state}), "connection_disabled")


def test_the_idp_refusing_sparks_client_secret_is_explained(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    app = connection.app
    app.secret = CLIENT_SECRETS.seal("a wrong secret")
    app.save()
    page = _refused(sso_sign_in(Client(), fake_idp), "idp_rejected_client")
    assert "did not accept Spark Portal&#x27;s client credentials" in page
    assert AuditEvent.objects.filter(action="sso.refused", detail__reason="idp_rejected_client").exists()


def test_a_client_secret_no_key_opens_refuses_the_sign_in_before_the_idp(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, settings: Any
) -> None:
    settings.SECRET_KEY = "a-brand-new-secret-key-that-is-long-enough-for-the-checks-0123456789"
    started = Client().post("/auth/sso/start/", {"login": "new.person@acme.example"})
    page = _refused(started, "secret_unreadable")
    assert "enter the Acme IdP connection&#x27;s client secret again" in page
    assert "/token" not in fake_idp.seen
    assert AuditEvent.objects.filter(action="sso.refused", detail__reason="secret_unreadable").exists()


@pytest.mark.parametrize(
    "bad",
    [{"token_issuer": "https://impostor.test"}, {"token_audience": "someone-else"}, {"token_seconds": -120}],
    ids=["wrong issuer", "wrong audience", "expired"],
)
def test_an_id_token_failing_the_checks_is_refused(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, bad: dict[str, object]
) -> None:
    for name, value in bad.items():
        setattr(fake_idp, name, value)
    client = Client()
    page = _refused(sso_sign_in(client, fake_idp), "invalid_id_token")
    assert "failed Spark Portal&#x27;s checks" in page
    assert _signed_in(client) is None and not User.objects.filter(email="new.person@acme.example").exists()


def test_connecting_sso_to_a_signed_in_account_is_refused(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    client.force_login(world.member)
    page = client.get(f"/auth/oidc/{connection.provider_id}/login/?process=connect")
    assert page.status_code == 200 and "cannot be attached" in page.content.decode()
    # and posting it anyway goes to the IdP and comes back refused
    started = client.post(f"/auth/oidc/{connection.provider_id}/login/", {"process": "connect"})
    state = started["Location"].split("state=")[1].split("&")[0]
    fake_idp.claims = {"sub": "idp-9", "email": "member@acme.example"}
    _refused(
        client.get(f"/auth/oidc/{connection.provider_id}/login/callback/", {"code": "c", "state": state}),
        "not_a_sign_in",
    )
    assert not SocialAccount.objects.exists()


def test_refusals_are_there_for_the_connection_doctor(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    _refused(sso_sign_in(Client(), fake_idp, email="eve@else.example"), "domain_outside")
    _refused(sso_sign_in(Client(), fake_idp, email_verified=False), "email_unverified")
    assert [e.detail["reason"] for e in _refusals(world.acme)] == ["email_unverified", "domain_outside"]
    standing = standing_sso_refusal(world.acme, "EVE@else.example", None)
    assert standing is not None and (standing.reason, standing.connection) == ("domain_outside", connection.provider_id)
    assert not SsoRefusal.objects.filter(organization=world.globex).exists()
    words = explain("domain_outside", "Acme", "Acme IdP", "eve@else.example")
    assert words is not None and "eve@else.example is not at one of Acme's email domains" in words.message
    assert explain("no-such-reason", "Acme", "Acme IdP") is None


def test_a_person_with_an_authenticator_app_is_not_asked_for_a_code_after_sso(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """The identity provider secures its own sign-ins; the password sign-in still asks for the code."""
    Authenticator.objects.create(user=world.member, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    client = Client()
    response = sso_sign_in(client, fake_idp, typed="member@acme.example")
    assert response.status_code == 302 and response["Location"] == "/settings/"
    assert _signed_in(client) == world.member
    by_password = Client().post("/auth/login/", {"login": "member@acme.example", "password": PASSWORD})
    assert by_password["Location"] == reverse("mfa_authenticate")


EVIL = "Pay-invoice-4711-to-IBAN-DE00-attacker"
"""Text a stranger puts in a forged request; it must never reach the audit trail."""


def _trail_text(organization) -> str:
    rows = AuditEvent.objects.filter(organization=organization).values_list("summary", "detail", "user_agent")
    return repr(list(rows))


FORGED = 300  # enough to show the trail does not grow per request; a thousand took 40 s


def test_many_forged_sso_callbacks_are_counted_in_one_event(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Issue 20, item 7: an unauthenticated GET of the callback with `error=` wrote one "SSO refused"
    event each, without limit. Nobody's sign-in completed, so they are counted."""
    client = Client(HTTP_USER_AGENT=EVIL)
    callback = f"/auth/oidc/{connection.provider_id}/login/callback/"
    before = AuditEvent.objects.filter(organization=world.acme).count()
    for n in range(FORGED):
        query = {"error": "access_denied", "error_description": EVIL, "state": f"{EVIL}-{n}"}
        assert client.get(callback, query).status_code == 403
    rows = AuditEvent.objects.filter(organization=world.acme).count() - before
    assert rows == 1
    event = AuditEvent.objects.get(action="sso.refused", organization=world.acme)
    assert event.detail["count"] == FORGED
    assert event.summary.startswith(f"{FORGED} single sign-on callbacks through Acme IdP refused")
    assert event.ip_address is None
    assert EVIL not in _trail_text(world.acme)


def test_a_sign_in_the_idp_completed_is_still_recorded_one_by_one(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    for _ in range(2):
        _refused(sso_sign_in(Client(), fake_idp, email="eve@else.example"), "domain_outside")
    events = AuditEvent.objects.filter(action="sso.refused", organization=world.acme)
    assert [e.detail["email"] for e in events] == ["eve@else.example", "eve@else.example"]


def test_refused_callbacks_are_counted_per_reason_and_hour(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    callback = f"/auth/oidc/{connection.provider_id}/login/callback/"
    Client().get(callback, {"error": "access_denied"})
    Client().get(callback, {"code": "stolen", "state": "not-ours"})
    fake_idp.discovery_status = 503
    _refused(Client().post("/auth/sso/start/", {"login": "someone@acme.example"}), "idp_unreachable")
    counted = {e.detail["reason"]: e.detail["count"] for e in _refusals(world.acme)}
    assert counted == {"idp_error": 2, "idp_unreachable": 1}
    AuditEvent.objects.filter(detail__reason="idp_error").update(created_at=timezone.now() - dt.timedelta(hours=2))
    Client().get(callback, {"error": "access_denied"})
    assert _refusals(world.acme).filter(detail__reason="idp_error").count() == 2  # a new hour, a new event


def test_an_unreachable_idp_at_start_keeps_no_typed_address(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Anyone may type any address at the organization's domain on the sign-in page."""
    fake_idp.discovery_status = 503
    for n in range(5):
        _refused(Client().post("/auth/sso/start/", {"login": f"{EVIL}-{n}@acme.example"}), "idp_unreachable")
    event = AuditEvent.objects.get(action="sso.refused", organization=world.acme)
    assert event.detail["count"] == 5
    assert EVIL.lower() not in _trail_text(world.acme).lower()


def test_a_changed_address_is_not_followed_for_an_account_another_organization_holds(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Acme's IdP renaming someone Globex also holds would move Globex's person (and where their
    password resets go): refused, the account keeps its address."""
    sso_sign_in(Client(), fake_idp, sub="p1")
    person = User.objects.get(email="new.person@acme.example")
    Membership.objects.create(user=person, organization=world.globex)
    page = _refused(sso_sign_in(Client(), fake_idp, sub="p1", email="renamed@acme.example"), "held_elsewhere")
    assert "your Spark Portal account also belongs to other organizations" in page
    person.refresh_from_db()
    assert person.email == "new.person@acme.example"
    assert not AuditEvent.objects.filter(action="sso.email_changed").exists()


def test_the_first_sign_in_at_an_unverified_domain_makes_no_account(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    client = Client()
    page = _refused(sso_sign_in(client, fake_idp, email="sam@newco.example"), "domain_unverified")
    assert "Acme has not verified the email domain of sam@newco.example yet" in page
    assert _signed_in(client) is None and not User.objects.filter(email="sam@newco.example").exists()


def test_a_member_at_an_unverified_domain_still_signs_in(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    kim = make_user("kim@newco.example", world.acme)
    client = Client()
    sso_sign_in(client, fake_idp, email="kim@newco.example")
    assert _signed_in(client) == kim


def test_a_changed_address_at_an_unverified_domain_is_not_followed(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp, sub="p1")
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    _refused(sso_sign_in(Client(), fake_idp, sub="p1", email="p1@newco.example"), "domain_unverified")
    assert User.objects.filter(email="new.person@acme.example").exists()


def test_an_account_made_by_single_sign_on_records_its_organization(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    sso_sign_in(Client(), fake_idp)
    assert User.objects.get(email="new.person@acme.example").provisioned_by == world.acme
