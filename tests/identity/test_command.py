"""`manage.py sso_connection`: operators add, list, turn on/off and remove connections and require SSO."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.sealing import is_sealed
from audit.models import AuditEvent
from identity.models import IdentityConnection
from tests.factories import World
from tests.fake_idp import CLIENT_ID, ISSUER, SECRET, FakeIdp


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("sso_connection", *args, stdout=out)
    return out.getvalue()


def test_urls_then_add_oidc_prints_what_to_give_the_idp(world: World, fake_idp: FakeIdp) -> None:
    urls = _run("urls", "--org", "acme", "--oidc", "--base-url", "https://spark.example")
    assert "Redirect URI: https://spark.example/auth/oidc/acme-oidc/login/callback/" in urls
    out = _run(
        "add",
        "--org",
        "acme",
        "--oidc",
        "--name",
        "Acme Okta",
        "--issuer",
        ISSUER,
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        SECRET,
        "--base-url",
        "https://spark.example",
    )
    assert "Redirect URI: https://spark.example/auth/oidc/acme-oidc/login/callback/" in out
    assert out.strip().splitlines()[-1] == "acme-oidc" and SECRET not in out
    connection = IdentityConnection.objects.get()
    assert connection.name == "Acme Okta" and connection.created_by is None and is_sealed(connection.app.secret)
    assert "an operator connected" in AuditEvent.objects.get(action="sso.connection_added").summary


def test_the_secret_can_come_from_stdin(world: World, fake_idp: FakeIdp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    _run("add", "--org", "acme", "--oidc", "--issuer", ISSUER, "--client-id", CLIENT_ID, "--client-secret", "-")
    connection = IdentityConnection.objects.get()
    assert connection.name == "Acme SSO"
    assert connection.app.secret != SECRET and is_sealed(connection.app.secret)


def test_add_saml_from_a_file_list_disable_require_remove(world: World, idp_metadata: str, tmp_path: Path) -> None:
    metadata = tmp_path / "idp.xml"
    metadata.write_text(idp_metadata)
    out = _run("add", "--org", "acme", "--saml", "--name", "Acme Entra", "--metadata-file", str(metadata))
    assert "ACS (reply) URL: http://127.0.0.1:8000/auth/saml/acme-saml/acs/" in out
    assert "SP entity ID: http://127.0.0.1:8000/auth/saml/acme-saml/metadata/" in out
    listed = _run("list")
    assert "acme-saml\tacme\tsaml\ton\tAcme Entra\t0 linked" in listed
    assert "is off" in _run("disable", "acme-saml")
    assert "is on" in _run("enable", "acme-saml")
    assert "Acme requires single sign-on" in _run("require", "--org", "acme", "--on")
    assert "(SSO required)" in _run("list", "--org", "acme")
    with pytest.raises(CommandError, match="Turn off “Require SSO” first"):
        _run("remove", "acme-saml")
    _run("require", "--org", "acme", "--off")
    assert "Removed acme-saml" in _run("remove", "acme-saml")
    assert not IdentityConnection.objects.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("add", "--org", "nope", "--oidc"), "No organization with slug 'nope'"),
        (("add", "--org", "acme"), "Say --oidc or --saml"),
        (("remove", "missing"), "Name an existing connection"),
        (("require", "--org", "acme"), "Say --on or --off"),
        (("require", "--org", "acme", "--on"), "Connect an identity provider for Acme"),
        (("add", "--org", "acme", "--saml", "--metadata-url", "http://10.0.0.1/m"), "Spark Portal will not connect"),
    ],
)
def test_mistakes_are_explained(world: World, args: tuple[str, ...], words: str, settings) -> None:
    settings.SPARK_SSO_ALLOW_LOCAL_IDP = False  # as in production
    with pytest.raises(CommandError, match=words):
        _run(*args)
