"""Password reset, the whole flow: request, email with a link, new password, sign-in."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client, override_settings

from tests.factories import World


def test_password_reset_from_request_to_sign_in(world: World) -> None:
    client = Client()
    response = client.post("/auth/password/reset/", {"email": "Member@ACME.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["member@acme.example"]
    link = re.search(r"https?://[^\s]+/auth/password/reset/key/[^\s]+", mail.outbox[0].body).group(0)  # type: ignore[union-attr]
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new_password = "a brand new passphrase 7"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    world.member.refresh_from_db()
    assert world.member.check_password(new_password)
    signed_in = Client().post("/auth/login/", {"login": "member@acme.example", "password": new_password})
    assert signed_in.status_code == 302


def test_unknown_address_gets_the_same_page_and_no_mail(world: World) -> None:
    response = Client().post("/auth/password/reset/", {"email": "nobody@acme.example"})
    assert response.status_code == 302 and not mail.outbox


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9)
def test_a_mail_server_that_is_down_is_not_a_server_error(world: World) -> None:
    response = Client().post("/auth/password/reset/", {"email": "member@acme.example"})
    assert response.status_code == 302


PUBLIC = "https://spark.example.com"


def test_the_reset_mail_links_to_the_public_url_whatever_host_the_request_named(world: World, settings) -> None:
    """Issue 20, item 9: the reset link was built from the request's Host. A deployment reachable
    under a second name (here internal.example, which ALLOWED_HOSTS lets in) mailed links there."""
    settings.SPARK_PUBLIC_URL = PUBLIC
    settings.ALLOWED_HOSTS = ["spark.example.com", "internal.example", "testserver"]
    client = Client(HTTP_HOST="internal.example")
    assert client.post("/auth/password/reset/", {"email": "member@acme.example"}).status_code == 302
    (sent,) = mail.outbox
    links = re.findall(r"https?://\S+", sent.body)
    assert links and all(link.startswith(f"{PUBLIC}/") for link in links), links
    assert "internal.example" not in sent.body + sent.subject
