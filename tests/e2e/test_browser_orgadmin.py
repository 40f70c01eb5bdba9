"""The organization console in Chromium: email domains (added, verified through the DNS server the
live server asks), the confirmations before changes that stop people, two-factor resets, invitations
to domains that are not enabled and the console's dead ends, at desktop and phone widths. Each
changed page is checked at 390 and 1280 px: no horizontal scroll, no element sticking out of its
container, no serious axe-core violation; and screenshotted."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_a11y import _context, axe_violations, describe

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 390)
LINK = re.compile(r"http://127\.0\.0\.1:\d+(/invitations/[^/\s]+/)")

# Elements wider than the box they sit in (a long address pushing out of a card), inside <main>.
# A parent that scrolls or clips on purpose, and visually hidden text, are left alone.
_STICKING_OUT = """() => {
  const out = [];
  for (const e of document.querySelectorAll("main *")) {
    const parent = e.parentElement;
    const box = e.getBoundingClientRect(), outer = parent.getBoundingClientRect();
    if (box.width <= 1 || getComputedStyle(parent).overflowX !== "visible") continue;
    if (box.right > outer.right + 1 || box.left < outer.left - 1) {
      out.push(`${e.tagName.toLowerCase()}.${e.className} in ${parent.tagName.toLowerCase()}.${parent.className}`);
    }
  }
  return out.slice(0, 5);
}"""


def check_page(page: Page, server: LiveServer, name: str) -> None:
    """The page as it is, at both widths: it fits, nothing sticks out of its container, axe finds no
    serious violation; a screenshot of each width to look at."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}")
        assert_fits(page, f"{name} at {width}")
        sticking_out = page.evaluate(_STICKING_OUT)
        assert not sticking_out, f"{name} at {width} px: {sticking_out}"
        violations = axe_violations(page, server)
        assert not violations, f"{name} at {width} px:\n" + "\n".join(map(describe, violations))
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def admin_page(browser: Browser, spark_server: LiveServer) -> Iterator[Page]:
    """Acme's demo admin, signed in with their password, in a context that serves axe-core."""
    context = _context(browser, spark_server)
    page = context.new_page()
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    yield page
    context.close()


def test_email_domains_page(browser: Browser, spark_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    page.goto(f"{spark_server.url}/org/acme/domains/")
    page.fill("#id_domain", "acme-labs.example")
    page.click("text=Add domain")
    page.wait_for_selector("tr[data-domain='acme-labs.example']")
    assert "acme-labs.example is enabled" in page.inner_text("main")
    card = page.locator("[data-verify='acme-labs.example']")
    name, value = card.locator("[data-txt-name]").inner_text(), card.locator("[data-txt-value]").inner_text()
    assert name == "_spark-verification.acme-labs.example" and value.startswith("spark-domain-verification=")
    assert page.locator("[data-verify='acme.example']").count() == 0  # the demo's own domain is verified
    shot(page, "22-org-domains")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{spark_server.url}/org/acme/domains/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shot(page, "23-org-domains-390")  # the record to publish fits at phone width too
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=There is no TXT record at _spark-verification.acme-labs.example yet")
    assert spark_server.dns is not None
    spark_server.dns.records[name] = [value]  # the admin publishes it at their DNS host
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=acme-labs.example is verified")
    assert page.locator("[data-verify='acme-labs.example']").count() == 0
    shot(page, "25-org-domain-verified")
    page.click("tr[data-domain='acme-labs.example'] >> text=Remove")
    assert "0 members of Acme Research have an address at acme-labs.example" in page.inner_text("#remove-impact")
    shot(page, "24-org-domain-remove")
    page.click("button:has-text('Remove acme-labs.example')")
    page.wait_for_selector("text=Removed acme-labs.example")
    assert overflow <= 0, f"{overflow} px of horizontal scroll at 390 px"
    for path in ("/settings/", "/settings/tokens/", "/settings/connected-apps/", "/org/acme/", "/org/acme/audit/"):
        page.goto(spark_server.url + path)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path}: {wide} px of horizontal scroll at 390 px"
    context.close()


def test_disabling_a_domain_and_requiring_two_factor_ask_first(admin_page: Page, spark_server: LiveServer) -> None:
    """Issue 25, item 1: neither is one click any more; the confirmation says whom it stops, and in red
    when the domain is the admin's own."""
    page, url = admin_page, spark_server.url
    page.goto(f"{url}/org/acme/domains/")
    page.fill("#id_domain", "acme-ops.example")
    page.click("text=Add domain")
    page.wait_for_selector("tr[data-domain='acme-ops.example']")
    page.click("tr[data-domain='acme.example'] >> text=Disable")
    impact = page.inner_text("#disable-impact")
    assert "of Acme Research with an address at acme.example can no longer use Spark MCP" in impact, impact
    assert "You sign in with admin@acme.example" in page.inner_text("#disable-yours")
    assert page.eval_on_selector("#disable-yours", "e => getComputedStyle(e).color") == "rgb(138, 28, 20)"
    check_page(page, spark_server, "item1-domain-disable-own")
    page.click("text=Cancel")
    assert page.locator("tr[data-domain='acme.example'] .badge", has_text="enabled").count() == 1
    page.click("tr[data-domain='acme-ops.example'] >> text=Disable")
    assert "0 people of Acme Research" in page.inner_text("#disable-impact")
    assert page.locator("#disable-yours").count() == 0
    page.click("button:has-text('Disable acme-ops.example')")
    page.wait_for_selector("text=acme-ops.example is disabled")
    check_page(page, spark_server, "item1-domains-after-disable")
    page.goto(f"{url}/org/acme/")
    page.click("text=Require two-factor authentication")
    assert "members" in page.inner_text("#mfa-impact") and "keep working" in page.inner_text("#mfa-impact")
    assert page.locator("#mfa-you").count() == 1
    check_page(page, spark_server, "item1-mfa-require")
    page.click("text=Cancel")
    page.wait_for_url(f"{url}/org/acme/")


def _mailed_link(server: LiveServer, to: str) -> str:
    """The invitation link of the newest mail to `to`."""
    mails = sorted(Path(server.env["EMAIL_FILE_PATH"]).glob("*.log"), key=lambda p: p.stat().st_mtime)
    text = next(m.read_text() for m in reversed(mails) if f"To: {to}" in m.read_text())
    return server.url + LINK.findall(text)[-1]


def _invite(page: Page, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/org/acme/members/")
    page.fill("#id_email", email)
    page.click("text=Send invitation")
    page.wait_for_selector(f"tr[data-invitation='{email}']")


def _accept(browser: Browser, server: LiveServer, email: str) -> Page:
    """The invited person opens the mailed link and sets a password; their page, signed in."""
    page = _context(browser, server).new_page()
    page.goto(_mailed_link(server, email))
    page.fill("#id_password1", DEMO_PASSWORD)
    page.fill("#id_password2", DEMO_PASSWORD)
    page.click("text=Create account and join")
    page.wait_for_url(f"{server.url}/settings/")
    return page


def _enrol_at_once(page: Page, server: LiveServer) -> None:
    """Set up an authenticator app straight away: no "Confirm it's you" within the same sign-in."""
    page.goto(f"{server.url}/auth/2fa/totp/activate/")
    assert "Confirm it" not in page.inner_text("main"), "asked for the password again within the same sign-in"
    totp = pyotp.TOTP(page.input_value("#totp-secret"))
    if 30 - time.time() % 30 < 3:
        time.sleep(4)  # never type a code about to expire
    page.fill("#id_code", totp.now())
    page.click("#totp-activate-form button[type=submit]")
    page.wait_for_selector("#recovery-codes")


def test_an_admin_resets_a_lost_second_factor(admin_page: Page, browser: Browser, spark_server: LiveServer) -> None:
    """Issue 25, item 2: an invited person sets up two-factor right after accepting (no second password
    prompt), and after a password sign-in too; Members shows it; the admin resets it after a
    confirmation."""
    page, url = admin_page, spark_server.url
    _invite(page, spark_server, "lost.phone@acme.example")
    member = _accept(browser, spark_server, "lost.phone@acme.example")
    _enrol_at_once(member, spark_server)
    member.context.close()
    member = _context(browser, spark_server).new_page()
    password_sign_in(member, "admin@acme.example", at=f"{url}/auth/login/", then=f"{url}/settings/")
    member.goto(f"{url}/auth/2fa/totp/activate/")
    assert "Confirm it" not in member.inner_text("main") and member.locator("#totp-secret").count() == 1
    member.context.close()
    page.goto(f"{url}/org/acme/members/?q=lost.phone")
    row = page.locator("tr[data-member='lost.phone@acme.example']")
    assert row.locator("[data-two-factor=on]").count() == 1
    check_page(page, spark_server, "item2-members-two-factor")
    row.locator("text=Reset two-factor").click()
    assert "Their authenticator app and recovery codes are removed" in page.inner_text("#mfa-reset-impact")
    check_page(page, spark_server, "item2-mfa-reset-confirm")
    page.click("button:has-text('Reset two-factor authentication')")
    page.wait_for_selector("text=Reset the two-factor authentication of lost.phone@acme.example")
    page.goto(f"{url}/org/acme/members/?q=lost.phone")
    assert page.locator("tr[data-member='lost.phone@acme.example'] [data-two-factor=off]").count() == 1
    page.goto(f"{url}/org/acme/audit/?action=mfa.reset")
    assert "reset the two-factor authentication of lost.phone@acme.example" in page.inner_text("main")


def test_an_invitation_to_a_domain_that_is_not_enabled_warns_with_the_fix(
    admin_page: Page, spark_server: LiveServer
) -> None:
    """Issue 25, item 3: said at invite time, on the pending invitation and on Members; adding the
    domain is one click there, and brings the admin back to Members."""
    page, url = admin_page, spark_server.url
    _invite(page, spark_server, "pat@partner-co.example")
    assert "partner-co.example is not enabled for Acme Research" in page.inner_text(".messages")
    invitation = page.locator("tr[data-invitation='pat@partner-co.example']")
    assert "partner-co.example is not enabled" in invitation.inner_text()
    assert "1 pending invitation" in page.inner_text("[data-gap='partner-co.example']")
    check_page(page, spark_server, "item3-members-domain-not-enabled")
    page.click("button:has-text('Add partner-co.example')")
    page.wait_for_selector("text=partner-co.example is enabled")
    assert page.url == f"{url}/org/acme/members/"
    assert page.locator("#domain-gaps").count() == 0
    assert page.locator("tr[data-invitation='pat@partner-co.example'] .domain-gap").count() == 0


STAFF_SETUP = """
from accounts.models import User
User.objects.filter(email="{email}").delete()
User.objects.create_user(email="{email}", password="{password}", is_staff=True)
"""


def test_dead_ends_say_what_to_do(admin_page: Page, browser: Browser, spark_server: LiveServer) -> None:
    """Issue 25, item 7: a member opening the console is told they are not its admin (403), and an
    outsider gets the same answer for an organization that exists and one that does not; someone with
    no organization is told how to get a token; staff get their links; a 7-day token is not flagged."""
    url = spark_server.url
    member = _context(browser, spark_server).new_page()
    password_sign_in(member, "member@acme.example", at=f"{url}/auth/login/", then=f"{url}/settings/")
    response = member.goto(f"{url}/org/acme/")
    assert response is not None and response.status == 403
    assert member.inner_text("#not-admin") == "You are not an admin of Acme Research"
    check_page(member, spark_server, "item7-not-admin-member")
    outsider = _context(browser, spark_server).new_page()
    password_sign_in(outsider, "analyst@globex.example", at=f"{url}/auth/login/", then=f"{url}/settings/")
    outsider.goto(f"{url}/org/acme/")
    existing = outsider.inner_text("main").replace("acme", "X")
    outsider.goto(f"{url}/org/no-such-org/")
    assert outsider.inner_text("main").replace("no-such-org", "X") == existing and "Acme" not in existing
    check_page(outsider, spark_server, "item7-not-admin-outsider")
    outsider.context.close()
    member.goto(f"{url}/settings/tokens/")
    member.fill("#id_name", "weekly agent")
    member.select_option("#id_days", "7")
    member.click("button:has-text('Create token')")
    member.wait_for_selector("#token-secret")
    assert "SPARK_TOKEN" in member.inner_text("main") and "read -rs SPARK_TOKEN" in member.inner_text("main")
    check_page(member, spark_server, "item7-token-created")
    member.click("text=Done")
    assert member.locator("#expiring-tokens").count() == 0, "a 7-day token greeted with an expiry warning"
    member.context.close()
    spark_server.manage("shell", "-c", STAFF_SETUP.format(email="ops@spark.example", password=DEMO_PASSWORD))
    staff = _context(browser, spark_server).new_page()
    password_sign_in(staff, "ops@spark.example", at=f"{url}/auth/login/", then=f"{url}/settings/")
    header = staff.locator("header nav")
    assert header.locator("a[href='/status/']").count() == 1 and header.locator("a[href='/admin/']").count() == 1
    staff.goto(f"{url}/settings/tokens/")
    assert "Ask your organization's admin to invite you" in staff.inner_text("#no-organization")
    assert staff.locator("#id_name").count() == 0
    check_page(staff, spark_server, "item7-tokens-no-organization")
    staff.context.close()
    admin_page.goto(f"{url}/org/acme/access/end/")
    impact = admin_page.inner_text("#access-impact")
    assert "(s)" not in impact and not re.search(r"\b1 people\b", impact)
