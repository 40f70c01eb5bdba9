"""Single sign-on through SAML 2.0 in Chromium against a SAML IdP built on npm `samlify`
(tests/e2e/idp/saml_idp.mjs, on 127.0.0.1): the connection is made from the IdP's metadata URL,
a signed assertion signs a new person in just in time and the assistant authorization follows;
expired, wrongly addressed and unsigned assertions and an address outside the organization's
domains are refused with the reason."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.assistant import BackInClaude, authorize_url, call_list_datasets, exchange, register
from tests.e2e.conftest import TOOLS_BIN, LiveServer, assert_fits, free_port, require_tool, shot
from tests.fake_idp import self_signed

pytestmark = pytest.mark.e2e
PERSON = "sam.lee@acme.example"


@dataclass
class SamlIdp:
    url: str
    provider_id: str


def _keys(folder: Path) -> tuple[Path, Path]:
    pair = self_signed("saml-idp.test", days=30)
    key_path, cert_path = folder / "idp-key.pem", folder / "idp-cert.pem"
    key_path.write_bytes(pair.key_pem)
    cert_path.write_bytes(pair.cert_pem)
    return key_path, cert_path


@pytest.fixture(scope="module")
def saml_idp(spark_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    require_tool(TOOLS_BIN / "node", "Node 22")
    require_tool(TOOLS_BIN.parent / "samlify" / "package.json", "npm samlify")
    urls = spark_server.manage("sso_connection", "urls", "--org", "acme", "--saml", "--base-url", spark_server.url)
    sp_metadata = re.search(r"SP metadata URL: (\S+)", urls).group(1)  # type: ignore[union-attr]
    key, cert = _keys(tmp_path_factory.mktemp("saml-idp"))
    env = {
        "SAML_IDP_PORT": str(free_port()),
        "SAML_IDP_KEY": str(key),
        "SAML_IDP_CERT": str(cert),
        "SAML_SP_METADATA_URL": sp_metadata,
        "PATH": str(TOOLS_BIN),
    }
    process = subprocess.Popen(
        [str(TOOLS_BIN / "node"), "tests/e2e/idp/saml_idp.mjs"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("ready "), f"the SAML IdP did not start: {line!r}"
    url, provider_id = line.split()[1], ""
    try:
        added = spark_server.manage(
            "sso_connection", "add", "--org", "acme", "--saml", "--name", "Acme SAML",
            "--metadata-url", f"{url}/metadata", "--base-url", spark_server.url,
        )  # fmt: skip
        provider_id = added.strip().splitlines()[-1]
        assert sp_metadata.endswith(f"/auth/saml/{provider_id}/metadata/")
        yield SamlIdp(url, provider_id)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if provider_id:
            spark_server.manage("sso_connection", "disable", provider_id)
            spark_server.manage("sso_connection", "remove", provider_id)


def _through_the_idp(page: Page, server: LiveServer, idp: SamlIdp, email: str, scenario: str = "ok") -> None:
    page.wait_for_selector("#id_login")
    page.fill("#id_login", PERSON)
    page.wait_for_selector("#continue-sso", state="visible")
    page.click("#continue-sso")
    page.wait_for_url(re.compile(re.escape(idp.url) + r"/sso\?SAMLRequest="))
    page.fill("#email", email)
    page.select_option("#scenario", scenario)
    page.click("#idp-sign-in")  # the IdP posts the response to Spark Portal's ACS


def test_a_signed_assertion_signs_in_then_the_assistant_is_authorized(
    browser: Browser, spark_server: LiveServer, saml_idp: SamlIdp
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    claude = BackInClaude(page)
    client_id, verifier = register(spark_server, "Claude via SAML"), secrets.token_urlsafe(48)
    page.goto(authorize_url(spark_server, client_id, verifier, scope="insights:read dataset:ds-core")[0])
    page.wait_for_selector("#oauth-requester")
    page.fill("#id_login", PERSON)
    page.wait_for_selector("#continue-sso", state="visible")
    page.click("#continue-sso")
    page.wait_for_url(re.compile(re.escape(saml_idp.url) + r"/sso\?SAMLRequest="))
    page.fill("#email", PERSON)
    shot(page, "sso-20-saml-idp")
    page.click("#idp-sign-in")
    page.wait_for_selector("#consent-form")
    assert page.inner_text("#signed-in-as") == PERSON
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    result = call_list_datasets(
        spark_server, exchange(spark_server, client_id, claude.code(), verifier)["access_token"]
    )
    assert "result" in result and not result["result"].get("isError"), result
    page.goto(f"{spark_server.url}/settings/")
    assert PERSON in page.inner_text("header") and "Acme Research" in page.inner_text("main")
    shot(page, "sso-21-saml-signed-in")
    context.close()


@pytest.mark.parametrize(
    ("scenario", "email", "reason", "words"),
    [
        ("expired", PERSON, "saml_invalid", "expired"),
        ("audience", PERSON, "saml_invalid", "audience"),
        ("unsigned", PERSON, "saml_invalid", "not signed"),
        ("ok", "eve@outside.example", "domain_outside", "eve@outside.example is not at one of"),
    ],
)
def test_refused_assertions_say_why(
    browser: Browser, spark_server: LiveServer, saml_idp: SamlIdp, scenario: str, email: str, reason: str, words: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    _through_the_idp(page, spark_server, saml_idp, email, scenario)
    page.wait_for_selector("#refusal-message")
    assert page.get_attribute("#refusal-message", "data-reason") == reason
    text = page.inner_text("main")
    assert words.lower() in text.lower(), text
    assert_fits(page, f"SAML refusal ({scenario})")
    shot(page, f"sso-22-saml-refused-{scenario}-390")
    page.goto(f"{spark_server.url}/settings/")
    assert "/auth/login/" in page.url
    context.close()
