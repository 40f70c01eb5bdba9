"""Single sign-on in Chromium against a real OpenID Connect identity provider (npm `oidc-provider`,
tests/e2e/idp/oidc_idp.mjs) run on 127.0.0.1: email-first sign-in, just-in-time provisioning, an
assistant's OAuth authorization through SSO with consent and a tool call, the refusals (outside the
organization's domains, unverified email, wrong client secret, cancelled), the console, and
"Require SSO" (which ends password sessions at its domains). Then the identity edges of issue 20: a
colleague's address cannot be squatted before her first SSO sign-in, and a sign-in through Acme's
IdP meets Acme's two-factor requirement only, never Globex's."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.assistant import BackInClaude, authorize_url, call_list_datasets, exchange, register
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    TOOLS_BIN,
    LiveServer,
    assert_fits,
    free_port,
    password_sign_in,
    require_tool,
    shot,
)

pytestmark = pytest.mark.e2e
IDP_SCRIPT = "tests/e2e/idp/oidc_idp.mjs"
NEW_PERSON = "ana.sso@acme.example"


@dataclass
class Idp:
    issuer: str
    client_id: str
    secret: str
    provider_id: str
    process: subprocess.Popen[str]


def _start_idp(redirect_uri: str, client_id: str, secret: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        "OIDC_IDP_PORT": str(port),
        "OIDC_IDP_CLIENT_ID": client_id,
        "OIDC_IDP_CLIENT_SECRET": secret,
        "OIDC_IDP_REDIRECT_URIS": redirect_uri,
        "PATH": str(TOOLS_BIN),
    }
    process = subprocess.Popen(
        [str(TOOLS_BIN / "node"), IDP_SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("ready "), f"the test IdP did not start: {line!r}"
    return process, line.split()[1]


@pytest.fixture(scope="module")
def idp(spark_server: LiveServer) -> Iterator[Idp]:
    """The IdP, and an OIDC connection for Acme made by the operator command (removed afterwards, so
    the other tests sharing the server see Acme as before)."""
    require_tool(TOOLS_BIN / "node", "Node 22")
    require_tool(TOOLS_BIN.parent / "oidc-provider" / "package.json", "npm oidc-provider")
    urls = spark_server.manage("sso_connection", "urls", "--org", "acme", "--oidc", "--base-url", spark_server.url)
    redirect_uri = re.search(r"Redirect URI: (\S+)", urls).group(1)  # type: ignore[union-attr]
    client_id, secret = "spark-acme", secrets.token_urlsafe(24)
    process, issuer = _start_idp(redirect_uri, client_id, secret)
    provider_id = ""
    try:
        added = spark_server.manage(
            "sso_connection", "add", "--org", "acme", "--oidc", "--name", "Acme IdP", "--issuer", issuer,
            "--client-id", client_id, "--client-secret", secret, "--base-url", spark_server.url,
        )  # fmt: skip
        provider_id = added.strip().splitlines()[-1]
        assert redirect_uri in added and redirect_uri.endswith(f"/auth/oidc/{provider_id}/login/callback/")
        yield Idp(issuer, client_id, secret, provider_id, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if provider_id:
            # Turned off first: even if removing failed, Acme's people would sign in with passwords again.
            spark_server.manage("sso_connection", "require", "--org", "acme", "--off")
            spark_server.manage("sso_connection", "disable", provider_id)
            spark_server.manage("sso_connection", "remove", provider_id)


def _continue_with_sso(page: Page, email: str) -> None:
    """On Spark Portal's sign-in page: type the email, and take the SSO way the page offers."""
    page.wait_for_selector("#id_login")
    page.fill("#id_login", email)
    page.wait_for_selector("#continue-sso", state="visible")
    assert page.locator("#password-step").is_hidden()
    page.click("#continue-sso")


def _idp_sign_in(page: Page, idp: Idp, login: str | None = None) -> None:
    """At the IdP's own sign-in form (its built-in one): the login comes prefilled from login_hint."""
    page.wait_for_url(re.compile(re.escape(idp.issuer) + r"/interaction/"))
    if login:
        page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button.login-submit")


def _context(browser: Browser, width: int = 1280) -> BrowserContext:
    return browser.new_context(viewport={"width": width, "height": 900})


def test_sign_in_with_sso_creates_the_person_just_in_time(browser: Browser, spark_server: LiveServer, idp: Idp) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    assert page.locator("#password-step").is_hidden() and page.locator("#continue").is_visible()
    shot(page, "sso-01-email-first")
    page.fill("#id_login", NEW_PERSON)
    page.wait_for_selector("#continue-sso", state="visible")
    assert "signs you in with its identity provider" in page.inner_text("#sso-words")
    assert page.locator("#use-password").is_visible()  # Acme does not require SSO (yet)
    shot(page, "sso-02-continue-with-sso")
    page.click("#continue-sso")
    page.wait_for_url(re.compile(re.escape(idp.issuer)))
    assert page.input_value("input[name=login]") == NEW_PERSON  # login_hint reached the IdP
    shot(page, "sso-03-idp-sign-in")
    _idp_sign_in(page, idp)
    page.wait_for_url(f"{spark_server.url}/settings/")
    assert NEW_PERSON in page.inner_text("header")
    assert "Acme Research" in page.inner_text("main")  # the membership made just in time
    shot(page, "sso-04-signed-in")
    # The session started by SSO ends with the SSO session lifetime (8 hours by default), not at
    # browser close and not after two weeks.
    session = next(c for c in context.cookies() if c["name"] == "sessionid")
    assert 7.5 * 3600 < session["expires"] - time.time() <= 8 * 3600
    context.close()

    # A password member of a domain with SSO can still choose the password (SSO is not required).
    context = _context(browser, 390)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    page.fill("#id_login", "member@acme.example")
    page.wait_for_selector("#use-password", state="visible")
    assert_fits(page, "sign-in with SSO at 390 px")
    shot(page, "sso-05-continue-with-sso-390")
    page.click("#use-password")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{spark_server.url}/settings/")
    context.close()


def test_assistant_authorization_through_sso_then_consent_and_a_tool_call(
    browser: Browser, spark_server: LiveServer, idp: Idp
) -> None:
    """The assistant opens the authorize URL in a browser that is signed in nowhere: sign-in with
    SSO keeps `next`, so the person lands on the consent page, allows, and the token calls a tool."""
    context = _context(browser)
    page = context.new_page()
    claude = BackInClaude(page)
    client_id, verifier = register(spark_server, "Claude via SSO"), secrets.token_urlsafe(48)
    page.goto(authorize_url(spark_server, client_id, verifier, scope="insights:read dataset:ds-core")[0])
    page.wait_for_selector("#oauth-requester")
    assert "Claude via SSO" in page.inner_text("#oauth-requester")
    _continue_with_sso(page, NEW_PERSON)
    _idp_sign_in(page, idp)
    page.wait_for_selector("#consent-form")
    assert page.inner_text("#signed-in-as") == NEW_PERSON
    shot(page, "sso-06-consent-after-sso")
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    result = call_list_datasets(
        spark_server, exchange(spark_server, client_id, claude.code(), verifier)["access_token"]
    )
    assert "result" in result and not result["result"].get("isError"), result
    assert "ds-core" in json.dumps(result)
    context.close()


def _refused(page: Page, reason: str) -> str:
    page.wait_for_selector("#refusal-message")
    assert page.get_attribute("#refusal-message", "data-reason") == reason
    return page.inner_text("#refusal-message")


@pytest.mark.parametrize("width", [1280, 390])
def test_an_idp_user_outside_the_organizations_domains_is_refused_with_the_reason(
    browser: Browser, spark_server: LiveServer, idp: Idp, width: int
) -> None:
    context = _context(browser, width)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    _continue_with_sso(page, NEW_PERSON)
    _idp_sign_in(page, idp, login="eve@outside.example")  # a contractor in Acme's IdP, with her own address
    text = _refused(page, "domain_outside")
    # Acme's domains, acme.example among them (another test on this server may have added one).
    assert "eve@outside.example is not at one of Acme Research's email domains (acme.example" in text
    assert "Acme Research" in page.inner_text("#who-can-fix")
    assert_fits(page, "refusal page")
    shot(page, f"sso-07-refused-outside-domain-{width}")
    page.goto(f"{spark_server.url}/settings/")
    assert "/auth/login/" in page.url  # not signed in
    context.close()


def test_an_unverified_email_and_a_cancelled_sign_in_are_refused(
    browser: Browser, spark_server: LiveServer, idp: Idp
) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    _continue_with_sso(page, NEW_PERSON)
    _idp_sign_in(page, idp, login="unverified@acme.example")
    assert "says your email address unverified@acme.example is not verified" in _refused(page, "email_unverified")

    page.click("#back-to-sign-in")  # the IdP session remembers her: straight back, refused again
    _continue_with_sso(page, NEW_PERSON)
    _refused(page, "email_unverified")
    context.close()

    context = _context(browser)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    _continue_with_sso(page, NEW_PERSON)
    page.wait_for_url(re.compile(re.escape(idp.issuer) + r"/interaction/"))
    page.click("text=[ Cancel ]")
    assert "was cancelled or refused by the identity provider" in _refused(page, "cancelled")
    context.close()


def _admin_password_sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/auth/login/")
    page.fill("#id_login", "admin@acme.example")
    page.wait_for_selector("#use-password", state="visible")
    page.click("#use-password")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{server.url}/settings/")


def _set_secret(page: Page, server: LiveServer, idp: Idp, secret: str) -> None:
    page.goto(f"{server.url}/org/acme/sso/")
    page.click(f"tr[data-connection='{idp.provider_id}'] a:has-text('Acme IdP')")
    page.fill("#id_client_secret", secret)
    page.click("#connection-form button[type=submit]")
    page.wait_for_selector("text=Saved Acme IdP.")


def test_the_console_and_a_wrong_client_secret(browser: Browser, spark_server: LiveServer, idp: Idp) -> None:
    """The admin's SSO page lists the connection with the URLs for the IdP; a wrong client secret
    makes the IdP refuse Spark Portal at the token endpoint, and the person sees why."""
    admin = _context(browser)
    page = admin.new_page()
    _admin_password_sign_in(page, spark_server)
    page.goto(f"{spark_server.url}/org/acme/sso/")
    row = page.locator(f"tr[data-connection='{idp.provider_id}']").inner_text()
    assert "Acme IdP" in row and "OpenID Connect" in row and "on" in row
    shot(page, "sso-08-console")
    page.click(f"tr[data-connection='{idp.provider_id}'] a:has-text('Acme IdP')")
    assert page.inner_text("#url-redirect").endswith(f"/auth/oidc/{idp.provider_id}/login/callback/")
    assert idp.secret not in page.content()  # write-only
    shot(page, "sso-09-connection")
    page.set_viewport_size({"width": 390, "height": 900})
    assert_fits(page, "connection page")
    shot(page, "sso-09-connection-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _set_secret(page, spark_server, idp, "not-the-secret")

    person = _context(browser)
    visitor = person.new_page()
    visitor.goto(f"{spark_server.url}/auth/login/")
    _continue_with_sso(visitor, NEW_PERSON)
    _idp_sign_in(visitor, idp)
    assert "did not accept Spark Portal's client credentials" in _refused(visitor, "idp_rejected_client")
    shot(visitor, "sso-10-refused-wrong-secret")
    person.close()

    _set_secret(page, spark_server, idp, idp.secret)
    _sso_sign_in(browser, spark_server, idp)  # the right secret works again
    page.goto(f"{spark_server.url}/org/acme/audit/?action=sso.")
    trail = page.inner_text("main")
    assert "sso.refused" in trail and "idp_rejected_client" in trail and "sso.signed_in" in trail
    assert "sso.connection_changed" in trail
    admin.close()


def _sso_sign_in(browser: Browser, server: LiveServer, idp: Idp) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{server.url}/auth/login/")
    _continue_with_sso(page, NEW_PERSON)
    _idp_sign_in(page, idp)
    page.wait_for_url(f"{server.url}/settings/")
    context.close()


def _post_login(server: LiveServer, email: str, password: str) -> str:
    """A password sign-in as a script would make it (no JavaScript): the page it answers with."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{server.url}/auth/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urlencode({"csrfmiddlewaretoken": token, "login": email, "password": password}).encode()
    try:
        return str(opener.open(f"{server.url}/auth/login/", data=form).read().decode())
    except urllib.error.HTTPError as error:
        return str(error.read().decode())


def test_require_sso_refuses_password_sign_in_and_reset(browser: Browser, spark_server: LiveServer, idp: Idp) -> None:
    _sso_sign_in(browser, spark_server, idp)  # requiring SSO needs a connection that has signed someone in
    admin = _context(browser)
    page = admin.new_page()
    _admin_password_sign_in(page, spark_server)
    page.goto(f"{spark_server.url}/org/acme/sso/")
    page.click("text=Require SSO…")
    assert "password sign-in and password reset are refused" in page.inner_text("#require-impact")
    shot(page, "sso-11-require-confirm")
    page.click("button:has-text('Require SSO')")
    # The admin's own password session ends with it (accounts/sso_sessions.py): back to the sign-in page.
    page.wait_for_url(re.compile(re.escape(f"{spark_server.url}/auth/login/")))
    page.wait_for_selector("text=Acme Research requires single sign-on for acme.example")
    try:
        answer = _post_login(spark_server, "member@acme.example", DEMO_PASSWORD)
        assert "Acme Research requires single sign-on for acme.example" in answer
        assert "sessionid" not in answer

        person = _context(browser)
        visitor = person.new_page()
        visitor.goto(f"{spark_server.url}/auth/login/")
        visitor.fill("#id_login", "member@acme.example")
        visitor.wait_for_selector("#continue-sso", state="visible")
        assert visitor.locator("#use-password").is_hidden()  # no password way offered
        shot(visitor, "sso-12-required")
        visitor.goto(f"{spark_server.url}/auth/password/reset/")
        visitor.fill("#id_email", "member@acme.example")
        visitor.click("button[type=submit]")
        visitor.wait_for_selector("text=requires single sign-on for acme.example")
        shot(visitor, "sso-13-reset-refused")
        person.close()
    finally:
        page.goto(f"{spark_server.url}/org/acme/sso/")
        if "/auth/login/" in page.url:  # signed in again, through the identity provider this time
            _continue_with_sso(page, "admin@acme.example")
            _idp_sign_in(page, idp)
            page.wait_for_url(f"{spark_server.url}/org/acme/sso/")
        page.click("button:has-text('Stop requiring SSO')")
        page.wait_for_selector("text=no longer requires single sign-on")
    assert "requires single sign-on" not in _post_login(spark_server, "member@acme.example", "wrong password 1")
    admin.close()


# --- Identity edges (issue 20): an address nobody proved, and another organization's IdP ----------


def _shell(server: LiveServer, code: str) -> str:
    """Run Python in `manage.py shell` against the server's database; the last line it printed."""
    return server.manage("shell", "-c", code).strip().splitlines()[-1]


def _csrf_post(page: Page, server: LiveServer, path: str, form: dict[str, str | int]) -> int:
    """A POST as a script in the signed-in browser would make it (CSRF token included); its status,
    redirects not followed."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = page.request.post(f"{server.url}{path}", form=form, headers={"X-CSRFToken": token}, max_redirects=0)
    return int(answer.status)


def test_a_colleagues_address_cannot_be_squatted_and_her_first_sso_sign_in_is_hers(
    browser: Browser, spark_server: LiveServer, idp: Idp
) -> None:
    """An Acme member with a password tries to make carla.new@acme.example (Carla has not signed in
    yet) their sign-in address; a Globex person tries the same. Carla's first SSO sign-in then
    makes her own account."""
    context = _context(browser)
    page = context.new_page()
    password_sign_in(
        page, "member@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    page.goto(f"{spark_server.url}/auth/email/")  # allauth's page is not served: the account's own is
    page.wait_for_url(f"{spark_server.url}/settings/email/")
    assert "managed by Acme Research's identity provider" in page.inner_text("#email-managed")
    assert page.locator("#email-change-form").count() == 0
    shot(page, "sso-14-address-managed-by-idp")
    for path, form in (
        ("/settings/email/", {"email": "carla.new@acme.example"}),
        ("/auth/email/", {"action_add": "", "email": "carla.new@acme.example"}),
        ("/auth/email/", {"action_primary": "", "email": "carla.new@acme.example"}),
    ):
        assert _csrf_post(page, spark_server, path, form) in (302, 403), path
    context.close()

    context = _context(browser, 390)
    page = context.new_page()
    password_sign_in(page, "analyst@globex.example", at=f"{spark_server.url}/settings/email/")
    page.wait_for_url(f"{spark_server.url}/settings/email/")
    page.fill("#id_email", "carla.new@acme.example")
    page.click("#email-change-form button[type=submit]")
    page.wait_for_selector("#email-refused")  # no "Confirm it's you": the password was typed just now
    assert "Sign in with single sign-on using that address instead" in page.inner_text("#email-refused")
    assert_fits(page, "sign-in address page")
    shot(page, "sso-15-address-refused-390")
    # An address of his own, though, becomes his once he opens the link mailed to it (and back again).
    for new, old in (("gil@home.example", "analyst@globex.example"), ("analyst@globex.example", "gil@home.example")):
        _change_address(page, spark_server, new, old)
    context.close()

    emails = _shell(
        spark_server,
        "from accounts.models import User; print(User.objects.get(email='member@acme.example').email, "
        "User.objects.filter(email='carla.new@acme.example').count())",
    )
    assert emails == "member@acme.example 0"

    carla = _context(browser)
    page = carla.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    _continue_with_sso(page, "carla.new@acme.example")
    _idp_sign_in(page, idp)
    page.wait_for_url(f"{spark_server.url}/settings/")
    assert "carla.new@acme.example" in page.inner_text("header")
    owner = _shell(
        spark_server,
        "from accounts.models import User; u = User.objects.get(email='carla.new@acme.example'); "
        "print(u.has_usable_password(), list(u.memberships.values_list('organization__slug', flat=True)))",
    )
    assert owner == "False ['acme']"  # her own account, made just in time, with no password anyone holds
    carla.close()


def _change_address(page: Page, server: LiveServer, new: str, old: str) -> None:
    page.goto(f"{server.url}/settings/email/")
    page.fill("#id_email", new)
    page.click("#email-change-form button[type=submit]")
    page.wait_for_selector(f"text=We sent a link to {new}")
    assert page.inner_text("#current-email") == old  # nothing changes before the link is opened
    mails = sorted(Path(server.env["EMAIL_FILE_PATH"]).glob("*.log"), key=lambda p: p.stat().st_mtime)
    link = re.findall(r"(/settings/email/confirm/[^/\s]+/)", mails[-1].read_text())[-1]
    page.goto(server.url + link)
    assert new in page.inner_text("#email-confirm-what")
    shot(page, f"sso-15-confirm-new-address-{page.viewport_size['width'] if page.viewport_size else 0}")
    page.click("#email-confirm")
    page.wait_for_selector(f"text=Your sign-in address is {new} now.")


GLOBEX_SETUP = """
from allauth.mfa.models import Authenticator
from accounts.models import Membership, Organization, Role, User
from accounts.mfa import organization_mfa_require
globex = Organization.objects.get(slug="globex")
member = User.objects.get(email="member@acme.example")
Authenticator.objects.filter(user=member).delete()  # whatever other tests on this server left
member.set_password("{password}")
member.save()
Membership.objects.update_or_create(user=member, organization=globex, defaults={"role": Role.ADMIN})
organization_mfa_require(organization=globex, required=True, actor=None, origin=None)
print(globex.pk)
"""

GLOBEX_TEARDOWN = """
from allauth.mfa.models import Authenticator
from accounts.models import Membership, Organization, PersonalAccessToken, User
from accounts.mfa import organization_mfa_require
globex = Organization.objects.get(slug="globex")
member = User.objects.get(email="member@acme.example")
organization_mfa_require(organization=globex, required=False, actor=None, origin=None)
Membership.objects.filter(user=member, organization=globex).delete()
PersonalAccessToken.objects.filter(user=member, organization=globex).delete()
Authenticator.objects.filter(user=member).delete()
"""


def _globex_tokens(server: LiveServer) -> str:
    return _shell(
        server,
        "from accounts.models import PersonalAccessToken; print(PersonalAccessToken.objects.filter("
        "organization__slug='globex', user__email='member@acme.example').count())",
    )


def _acme_sso(page: Page, server: LiveServer, idp: Idp, next_path: str) -> None:
    page.goto(f"{server.url}/auth/login/?next={next_path}")
    _continue_with_sso(page, "member@acme.example")
    _idp_sign_in(page, idp)


def test_an_acme_idp_sign_in_opens_neither_globexs_console_nor_a_globex_token_without_its_second_factor(
    browser: Browser, spark_server: LiveServer, idp: Idp
) -> None:
    """Max is an Acme member and a Globex admin; Globex requires two-factor authentication. Signed in
    by Acme's IdP, he is sent to set up a second factor before Globex's console, and no Globex token
    is made, in the portal or through the API; with one, the code is asked once, then Globex opens."""
    globex_id = _shell(spark_server, GLOBEX_SETUP.replace("{password}", DEMO_PASSWORD))
    try:
        context = _context(browser)
        page = context.new_page()
        _acme_sso(page, spark_server, idp, "/org/globex/")
        # On the way to setting up a second factor: "Confirm it's you" first, unless the sign-in is
        # recent enough for allauth to skip it (the suite's shared server decides which).
        page.wait_for_selector("#mfa-required-notice")
        assert "Globex requires two-factor authentication" in page.inner_text("#mfa-required-notice")
        page.goto(f"{spark_server.url}/org/globex/")
        assert "/org/globex/" not in page.url.split("?")[0]
        token_form = {"name": "globex admin", "organization": globex_id, "days": 365, "scopes": "org:admin"}
        assert _csrf_post(page, spark_server, "/settings/tokens/new/", token_form) == 302
        api = {"name": "via api", "days": "365", "scopes": "org:admin"}
        assert _csrf_post(page, spark_server, "/api/v1/me/tokens?organization=globex", api) != 201
        assert _globex_tokens(spark_server) == "0"

        page.goto(f"{spark_server.url}/org/globex/")  # now set it up: password once more, then the app
        page.wait_for_selector("#mfa-required-notice")
        if page.locator("#id_password").count():
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("main button[type=submit]")
        page.wait_for_selector("#totp-secret")
        totp = pyotp.TOTP(page.input_value("#totp-secret"))
        used = _fresh_code(totp, set())
        page.fill("#id_code", used)
        page.click("#totp-activate-form button[type=submit]")
        page.wait_for_selector("#mfa-continue")
        page.click("#mfa-continue")
        page.wait_for_url(f"{spark_server.url}/org/globex/")
        context.close()

        context = _context(browser)  # a new session: Acme's IdP again, then Globex asks for the code
        page = context.new_page()
        _acme_sso(page, spark_server, idp, "/org/globex/")
        page.wait_for_selector("#mfa-step-up-notice")
        assert "Globex requires two-factor authentication" in page.inner_text("#mfa-step-up-notice")
        shot(page, "sso-16-globex-asks-for-its-second-factor")
        page.set_viewport_size({"width": 390, "height": 900})
        assert_fits(page, "step-up page")
        shot(page, "sso-16-globex-asks-for-its-second-factor-390")
        page.fill("#id_code", used)  # the enrolment's code does not work twice
        page.click("main button[type=submit]")
        page.wait_for_selector("text=Incorrect code")
        page.fill("#id_code", _fresh_code(totp, {used}))
        page.click("main button[type=submit]")
        page.wait_for_url(f"{spark_server.url}/org/globex/")
        assert _csrf_post(page, spark_server, "/settings/tokens/new/", {**token_form, "days": 7}) == 302
        assert _globex_tokens(spark_server) == "1"  # with the second factor given, Globex's admin may
        context.close()
    finally:
        _shell(spark_server, GLOBEX_TEARDOWN)


def _fresh_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """The authenticator app's code, once it is one not typed before and not about to expire."""
    while True:
        left = 30 - time.time() % 30
        code = str(totp.now())
        if code not in used and left > 3:
            return code
        time.sleep(min(left + 0.2, 1.0))
