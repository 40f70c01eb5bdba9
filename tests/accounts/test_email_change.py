"""The sign-in address (accounts/email_change.py): nobody makes an address they have not proven their
sign-in address, and people whose organization's identity provider manages them cannot change it.

The three chains an outside review ran against allauth's /auth/email/ (with verification off) are
tried here as an attacker would: every way a signed-in person could post a new address."""

from __future__ import annotations

import html
import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from audit.models import AuditEvent
from identity.models import IdentityConnection
from identity.services import organization_require_sso_set
from tests.factories import PASSWORD, World
from tests.fake_idp import FakeIdp, sso_sign_in
from tests.scim.conftest import issue_scim

LINK = re.compile(r"http://testserver(/settings/email/confirm/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _mail_outbox(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def password_session(email: str) -> Client:
    """Signed in with the password, and confirmed it (as a change of address asks first)."""
    client = Client()
    assert client.post(reverse("account_login"), {"login": email, "password": PASSWORD}).status_code == 302
    return confirmed(client)


def confirmed(client: Client) -> Client:
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


def try_to_take(client: Client, address: str) -> None:
    """Everything a signed-in person can post to make `address` their sign-in address: allauth's
    email page (add, then make primary) and the account's own page."""
    client.post("/auth/email/", {"action_add": "", "email": address})
    client.post("/auth/email/", {"action_primary": "", "email": address})
    client.post("/settings/email/", {"email": address})


def signs_in(email: str, password: str = PASSWORD) -> bool:
    client = Client()
    client.post(reverse("account_login"), {"login": email, "password": password})
    return "_auth_user_id" in client.session


def link_in(message: mail.EmailMessage) -> str:
    found = LINK.search(str(message.body))
    assert found, message.body
    return found.group(1)


def test_scim_does_not_find_someone_who_typed_an_address_at_its_domain(world: World) -> None:
    """Chain 1: a Globex admin types carol@acme.example as their address, then Acme's identity
    provider provisions Carol through SCIM, which matches people by address."""
    acme_scim = issue_scim(world, "acme")
    try_to_take(password_session("outsider@globex.example"), "carol@acme.example")
    world.outsider.refresh_from_db()
    assert world.outsider.email == "outsider@globex.example"
    created = acme_scim.create("carol@acme.example")
    assert created["id"] != str(world.outsider.pk)
    assert not Membership.objects.filter(user=world.outsider, organization=world.acme).exists()


def test_a_colleagues_address_cannot_be_squatted_before_their_first_sso_sign_in(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Chain 2: an Acme member with a password takes a future colleague's address; the colleague's
    first SSO sign-in would land in the attacker's account, whose password the attacker keeps."""
    try_to_take(password_session("member@acme.example"), "new.person@acme.example")
    world.member.refresh_from_db()
    assert world.member.email == "member@acme.example"
    colleague = Client()
    assert sso_sign_in(colleague, fake_idp, typed="new.person@acme.example").status_code == 302
    signed_in = User.objects.get(pk=colleague.session["_auth_user_id"])
    assert signed_in != world.member
    assert signed_in.email == "new.person@acme.example" and not signed_in.has_usable_password()


def test_require_sso_cannot_be_escaped_by_moving_to_another_domain(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Chain 3: signed in through SSO, a member of an organization that requires it moves their
    address to a domain without SSO, then signs in there with a password."""
    organization_require_sso_set(organization=world.acme, required=True, actor=None, origin=None, require_proven=False)
    client = Client()
    assert sso_sign_in(client, fake_idp, typed="member@acme.example").status_code == 302
    try_to_take(client, "member@personal.example")
    world.member.refresh_from_db()
    assert world.member.email == "member@acme.example"
    assert not signs_in("member@personal.example")
    assert not mail.outbox


def test_the_page_says_who_owns_the_address_of_an_organizations_people(world: World) -> None:
    issue_scim(world, "acme")  # Acme provisions its people: its IdP owns their addresses
    client = password_session("member@acme.example")
    page = client.get("/settings/email/")
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert 'id="email-managed"' in text and "managed by Acme's identity provider" in text
    assert 'id="email-change-form"' not in text
    assert client.post("/settings/email/", {"email": "member@else.example"}).status_code == 403
    assert not mail.outbox


def test_an_address_at_a_domain_an_identity_provider_manages_is_refused(
    world: World, connection: IdentityConnection
) -> None:
    client = password_session("outsider@globex.example")
    refused = client.post("/settings/email/", {"email": "someone@acme.example"})
    assert refused.status_code == 400
    assert "Sign in with single sign-on using that address instead" in refused.content.decode()
    assert not mail.outbox


def test_the_new_address_becomes_the_sign_in_address_only_through_the_link(world: World) -> None:
    client = password_session("outsider@globex.example")
    asked = client.post("/settings/email/", {"email": "Gil@New.example"})
    assert asked.status_code == 302 and asked["Location"] == "/settings/email/"
    world.outsider.refresh_from_db()
    assert world.outsider.email == "outsider@globex.example"  # nothing changes before the link
    assert not EmailAddress.objects.exists()  # and no unproven address is stored anywhere
    (sent,) = mail.outbox
    assert sent.to == ["gil@new.example"]
    assert not signs_in("gil@new.example")
    link = link_in(sent)
    page = client.get(link)
    assert page.status_code == 200 and "Make <strong>gil@new.example</strong> the address" in page.content.decode()
    assert client.post(link)["Location"] == "/settings/"
    world.outsider.refresh_from_db()
    assert world.outsider.email == "gil@new.example"
    assert signs_in("gil@new.example") and not signs_in("outsider@globex.example")
    assert mail.outbox[-1].to == ["outsider@globex.example"]  # the old address is told
    actions = AuditEvent.objects.filter(organization=world.globex, actor=world.outsider)
    assert set(actions.values_list("action", flat=True)) >= {"account.email_change_requested", "account.email_changed"}
    again = client.post(link)
    assert again.status_code == 400 and "used already" in again.content.decode()


def test_the_link_changes_nothing_for_another_account(world: World) -> None:
    """Someone sent the link (an attacker asked for *their* address on the attacker's account)
    cannot attach it by opening the link: it works only in the asking account's session."""
    password_session("outsider@globex.example").post("/settings/email/", {"email": "victim@else.example"})
    link = link_in(mail.outbox[0])
    victim = Client()
    victim.force_login(world.member)
    refused = victim.post(link)
    assert refused.status_code == 400 and "sent for another Spark Portal account" in refused.content.decode()
    world.outsider.refresh_from_db()
    assert world.outsider.email == "outsider@globex.example"
    assert Client().get(link)["Location"].startswith("/auth/login/")  # signed out: sign in first


def test_asking_needs_a_fresh_confirmation_first(world: World, settings) -> None:
    client = Client()
    client.post(reverse("account_login"), {"login": "outsider@globex.example", "password": PASSWORD})
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the sign-in's password no longer counts as fresh
    asked = client.post("/settings/email/", {"email": "gil@new.example"})
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not mail.outbox
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    resumed = client.post(asked["Location"], {"password": PASSWORD}, follow=True)
    assert resumed.status_code == 200 and len(mail.outbox) == 1  # the change asked for goes on


def test_the_link_checks_again_when_it_is_opened(world: World) -> None:
    client = password_session("outsider@globex.example")
    client.post("/settings/email/", {"email": "taken@else.example"})
    client.post("/settings/email/", {"email": "later@else.example"})
    taken, later = (link_in(m) for m in mail.outbox)
    User.objects.create_user(email="taken@else.example", password=PASSWORD)
    assert "Another account signs in with taken@else.example" in client.post(taken).content.decode()
    issue_scim(world, "globex")  # meanwhile, Globex's identity provider manages its people
    assert "managed by Globex's identity provider" in html.unescape(client.post(later).content.decode())
    world.outsider.refresh_from_db()
    assert world.outsider.email == "outsider@globex.example"


def test_unproven_allauth_addresses_never_sign_in_get_a_reset_or_get_confirmed(world: World) -> None:
    """Rows left by allauth's email page before it was closed: inert."""
    pending = EmailAddress.objects.create(user=world.outsider, email="left@over.example", verified=False)
    assert not signs_in("left@over.example")
    Client().post(reverse("account_reset_password"), {"email": "left@over.example"})
    assert not mail.outbox
    key = EmailConfirmationHMAC(pending).key
    Client().post(reverse("account_confirm_email", args=[key]))
    world.outsider.refresh_from_db()
    pending.refresh_from_db()
    assert world.outsider.email == "outsider@globex.example" and not pending.verified
