"""Two-factor authentication in Chromium, the way a person meets it.

An authenticator app is played by pyotp, fed the key the enrolment page shows: it gives the code
of the current 30-second window, and when that code was already used (allauth accepts each code
once) it waits for the next window, as a person looking at their phone would.

Each test makes its own people and organizations (`manage.py shell`), so the demo users the other
browser tests share never get a second factor: the server is shared by the whole session.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.assistant import BackInClaude, authorize_url, register
from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, shot
from tests.e2e.test_browser_a11y import AXE_PATH, _serve_axe, axe_violations, describe

pytestmark = pytest.mark.e2e

SETUP = """
from accounts.mfa import organization_mfa_require
from accounts.models import AccessStatus, EmailDomain, Membership, Organization, Role, User
from catalog.models import Dataset
from oauth_server.platforms import Platform
from oauth_server.services import publication_set

org, _ = Organization.objects.update_or_create(
    slug={slug!r}, defaults={{"name": {name!r}, "access_status": AccessStatus.CONTRACT}}
)
org.datasets.set(Dataset.objects.filter(code__in=["ds-core", "ds-usa-deep"]))
EmailDomain.objects.get_or_create(organization=org, domain={domain!r}, defaults={{"enabled": True}})
user, _ = User.objects.get_or_create(email={email!r}, defaults={{"full_name": "Mia Factor"}})
user.set_password({password!r})
user.save()
Membership.objects.get_or_create(user=user, organization=org, defaults={{"role": Role.MEMBER}})
for platform in Platform:
    publication_set(organization=org, platform=platform, published=True, actor=user, origin=None)
organization_mfa_require(organization=org, required={required!r}, actor=None, origin=None)
"""


def _person(server: LiveServer, tag: str, *, required: bool) -> str:
    """A new organization (connectors published, MFA required or not) with one member; their email."""
    domain = f"{tag}.example"
    email = f"mia@{domain}"
    code = SETUP.format(
        slug=tag, name=f"{tag.title()} Labs", domain=domain, email=email, password=DEMO_PASSWORD, required=required
    )
    server.manage("shell", "-c", code)
    return email


class Phone:
    """An authenticator app holding the key from the enrolment page."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.shown: set[str] = set()

    def code(self) -> str:
        while True:
            left = 30 - time.time() % 30
            code = self.totp.now()
            if code not in self.shown and left > 3:  # never type a code about to expire
                self.shown.add(code)
                return code
            time.sleep(min(left + 0.2, 1.0))


def _context(browser: Browser, server: LiveServer, width: int) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    context.route(f"{server.url}{AXE_PATH}", _serve_axe)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return context, page, problems


def _check(page: Page, server: LiveServer, name: str, width: int) -> None:
    """The page fits (no sideways scroll), has no serious accessibility violation; screenshot."""
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{name}: {wide} px of horizontal scroll at {width} px"
    violations = axe_violations(page, server)
    assert not violations, f"{name} ({page.url}):\n" + "\n".join(map(describe, violations))
    shot(page, f"mfa-{name}-{width}")


def _password(page: Page, email: str) -> None:
    page.wait_for_selector("#id_login")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")


def _enrol(page: Page, server: LiveServer, width: int) -> tuple[Phone, list[str]]:
    """On the enrolment page: read the key, type the app's code; returns the phone and the codes."""
    page.wait_for_selector("#totp-secret")
    assert page.locator("img[src^='data:image/svg+xml']").evaluate("img => img.naturalWidth") > 0  # the QR code
    _check(page, server, "enrol", width)
    phone = Phone(page.input_value("#totp-secret"))
    page.fill("#id_code", "000000" if phone.totp.now() != "000000" else "111111")
    page.click("#totp-activate-form button[type=submit]")
    page.wait_for_selector("text=Incorrect code")
    page.fill("#id_code", phone.code())
    page.click("#totp-activate-form button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    codes = page.input_value("#recovery-codes").split()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", code) for code in codes)
    _check(page, server, "recovery-codes", width)
    with page.expect_download() as download:
        page.click("#download-codes")
    assert download.value.suggested_filename == "spark-portal-recovery-codes.txt"
    with open(download.value.path()) as saved:
        assert saved.read().split()[-10:] == codes
    return phone, codes


def _sign_out(page: Page) -> None:
    page.click("header button:has-text('Sign out')")
    page.wait_for_selector("#id_login")


def _second_factor(page: Page, code: str) -> None:
    page.wait_for_selector("#mfa-authenticate-form")
    page.fill("#id_code", code)
    page.click("#mfa-authenticate-form button[type=submit]")


def _allow(page: Page, claude: BackInClaude, state: str) -> None:
    page.wait_for_selector("#consent-form")
    page.click("#allow")
    page.wait_for_selector("text=Back in Claude")
    query = claude.query()
    assert query["state"] == [state] and query["code"][0]


def test_enrol_then_sign_in_with_a_code_or_a_recovery_code(browser: Browser, spark_server: LiveServer) -> None:
    width = 1280
    email = _person(spark_server, "initrode", required=False)
    context, page, problems = _context(browser, spark_server, width)
    page.goto(f"{spark_server.url}/auth/login/")
    _password(page, email)
    page.wait_for_url(f"{spark_server.url}/settings/")
    page.goto(f"{spark_server.url}/auth/2fa/")
    assert "Not set up" in page.inner_text("#mfa-totp")
    _check(page, spark_server, "overview-off", width)
    page.click("text=Set up an authenticator app")  # no "Confirm it's you": the password was typed just now
    phone, codes = _enrol(page, spark_server, width)
    page.click("#mfa-continue")
    page.wait_for_selector("#mfa-totp .badge.active")
    assert "10 of 10 unused" in page.inner_text("#mfa-recovery-codes")
    _check(page, spark_server, "overview-on", width)

    _sign_out(page)
    page.goto(f"{spark_server.url}/settings/tokens/")
    _password(page, email)
    page.wait_for_selector("#mfa-authenticate-form")
    assert "/auth/2fa/authenticate/" in page.url
    _check(page, spark_server, "sign-in-code", width)
    _second_factor(page, "12345678")
    page.wait_for_selector("text=Incorrect code")
    assert "/auth/2fa/authenticate/" in page.url
    _second_factor(page, phone.code())
    page.wait_for_url(f"{spark_server.url}/settings/tokens/")  # where the sign-in was heading

    _sign_out(page)
    _password(page, email)
    _second_factor(page, codes[0])
    page.wait_for_url(f"{spark_server.url}/settings/")
    page.goto(f"{spark_server.url}/auth/2fa/")
    assert "9 of 10 unused" in page.inner_text("#mfa-recovery-codes")
    _sign_out(page)
    _password(page, email)
    _second_factor(page, codes[0])  # each recovery code works once
    page.wait_for_selector("text=Incorrect code")
    _check(page, spark_server, "sign-in-code-refused", width)
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_required_mfa_enrols_on_the_way_to_consent_then_asks_for_the_code(
    browser: Browser, spark_server: LiveServer, width: int
) -> None:
    """A member of an organization that requires MFA connects an assistant: password, then enrol
    (asked before any other page), then straight on to the consent page; next time, the code."""
    email = _person(spark_server, f"vandelay{width}", required=True)
    context, page, problems = _context(browser, spark_server, width)
    claude = BackInClaude(page)
    url, state = authorize_url(spark_server, register(spark_server, f"Claude MFA {width}"))
    page.goto(url)
    page.wait_for_selector("#oauth-requester")
    _password(page, email)
    page.wait_for_selector("#mfa-required-notice")
    assert "Vandelay" in page.inner_text("#mfa-required-notice")
    assert "/auth/2fa/totp/activate/" in page.url  # no "Confirm it's you": the password was typed just now
    _check(page, spark_server, "required-enrol-first", width)
    assert "requires two-factor authentication" in page.inner_text("#mfa-required-notice")
    page.goto(f"{spark_server.url}/settings/")  # every other page sends them back to enrol
    assert "/auth/2fa/totp/activate/" in page.url
    phone, _ = _enrol(page, spark_server, width)
    page.click("#mfa-continue")  # back to where they were going: the consent page
    _allow(page, claude, state)

    _sign_out_via_settings(page, spark_server)
    url, state = authorize_url(spark_server, register(spark_server, f"Claude MFA again {width}"))
    page.goto(url)
    _password(page, email)
    page.wait_for_selector("#mfa-authenticate-form")
    _check(page, spark_server, "required-sign-in-code", width)
    _second_factor(page, phone.code())
    page.wait_for_selector("#consent-form")
    _check(page, spark_server, "consent-after-code", width)
    _allow(page, claude, state)
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


def _sign_out_via_settings(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/settings/")
    assert page.url == f"{server.url}/settings/"  # enrolled: no longer sent to enrol
    _sign_out(page)
