"""The organization console in Chromium: email domains (added, verified through the DNS server the
live server asks), the confirmations before changes that stop people, two-factor resets, invitations
to domains that are not enabled and the console's dead ends, at desktop and phone widths. Each
changed page is checked at 390 and 1280 px: no horizontal scroll, no element sticking out of its
container (`conftest.assert_fits`), no serious axe-core violation; and screenshotted."""

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


def check_page(page: Page, server: LiveServer, name: str) -> None:
    """The page as it is, at both widths: it fits, nothing sticks out of its container, axe finds no
    serious violation; a screenshot of each width to look at."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}")
        assert_fits(page, f"{name} at {width}")
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
    assert "of Acme Research with an address at acme.example can no longer use Spark Portal" in impact, impact
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


DOCTOR_SETUP = """
import datetime as dt
from django.utils import timezone
from accounts.models import PersonalAccessToken, User
from accounts.services import token_create
user = User.objects.get(email="member@acme.example")
org = user.memberships.get(organization__slug="acme").organization
names = "{names}".split(",")
made = [token_create(user=user, organization=org, name=n, days=30, scopes=["insights:read"]).token for n in names]
made[0].revoked_at = timezone.now() - dt.timedelta(days=120)
made[0].save()
made[1].revoked_at = timezone.now()
made[1].save()
print(made[1].prefix)
"""


def test_the_doctor_leads_with_the_verdict(admin_page: Page, spark_server: LiveServer) -> None:
    """Issue 25, item 5: a partial prefix finds its token (or says what to type); a revoked token's
    report opens with its refusal; a healthy person's leaves tokens revoked long ago out."""
    page, url = admin_page, spark_server.url
    prefix = spark_server.manage("shell", "-c", DOCTOR_SETUP.replace("{names}", "ancient job,revoked job")).split()[-1]
    page.goto(f"{url}/org/acme/doctor/?subject=spk_{prefix[:6]}")
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("Spark Portal refuses the token revoked job") and "revoked" in verdict, verdict
    assert page.locator("tr[data-gate^='Token revoked job'] .badge").inner_text() == "ended"
    check_page(page, spark_server, "item5-doctor-revoked-token")
    page.goto(f"{url}/org/acme/doctor/?subject=spk_QQQ")
    assert "Type the prefix the token page shows" in page.inner_text("#not-found")
    check_page(page, spark_server, "item5-doctor-partial-prefix")
    page.goto(f"{url}/org/acme/doctor/?subject=member%40acme.example")
    assert page.inner_text("#verdict").startswith("Spark Portal lets member@acme.example in right now")
    assert page.locator("tr[data-gate^='Token ancient job']").count() == 0
    assert "revoked or expired over 30 days ago" in page.inner_text("#left-out")
    assert page.locator("tr[data-gate^='Token '] .badge", has_text="refuses").count() == 0
    check_page(page, spark_server, "item5-doctor-person")


ALIKE_SETUP = """
from django.utils import timezone
from oauth2_provider.models import Application
from accounts.models import User
from audit.services import Origin
from oauth_server.models import ConnectedApp
from oauth_server.platforms import Platform
from oauth_server.services import connection_record
user = User.objects.get(email="member@acme.example")
org = user.memberships.get(organization__slug="acme").organization
ConnectedApp.objects.filter(user=user, application__name="Claude").delete()
for address in ("203.0.113.7", "198.51.100.23"):
    app = Application.objects.create(
        name="Claude", client_type="public", authorization_grant_type="authorization-code",
        redirect_uris="https://claude.ai/api/mcp/auth_callback",
    )
    connection = connection_record(
        user=user, organization=org, application=app, platform=Platform.CLAUDE, scope="insights:read",
        origin=Origin(ip_address=address, user_agent="Mozilla/5.0 (Macintosh) Chrome/130"),
    )
ConnectedApp.objects.filter(authorized_address="203.0.113.7").update(first_token_at=timezone.now())
print(ConnectedApp.objects.get(authorized_address="203.0.113.7").application.client_id)
"""


def test_assistants_alike_are_told_apart_and_a_consent_never_exchanged_is_not_active(
    admin_page: Page, browser: Browser, spark_server: LiveServer
) -> None:
    """Issue 25, item 4: two Claude connections of one person: each says "Claude" once, when and where
    it was connected; the one whose code was never exchanged is "not connected", and no impact figure
    counts it."""
    url = spark_server.url
    client_id = spark_server.manage("shell", "-c", ALIKE_SETUP).split()[-1]
    member = _context(browser, spark_server).new_page()
    password_sign_in(member, "member@acme.example", at=f"{url}/auth/login/", then=f"{url}/settings/")
    member.goto(f"{url}/settings/connected-apps/")
    rows = member.locator("#connected tr[data-connection-id]", has=member.locator("text=203.0.113.7"))
    assert rows.count() == 1 and rows.locator(".assistant-name").inner_text() == "Claude"
    assert "Claude (Claude)" not in member.inner_text("main")
    pending = member.locator("#connected tr[data-connection-id]", has=member.locator("text=198.51.100.23"))
    assert pending.locator(".badge").inner_text() == "not connected"
    assert rows.locator(".badge").inner_text() == "active"
    check_page(member, spark_server, "item4-connected-apps")
    rows.locator("text=Revoke").click()
    assert "203.0.113.7" in member.inner_text("main") and "Revoke Claude?" in member.inner_text("h1")
    check_page(member, spark_server, "item4-connected-app-revoke")
    member.context.close()
    page = admin_page
    page.goto(f"{url}/org/acme/people-access/?kind=claude")
    states = page.locator("tr[data-credential^='assistant'] .badge").all_inner_texts()
    assert "not connected" in states and "Claude (Claude)" not in page.inner_text("main")
    check_page(page, spark_server, "item4-people-access")
    page.goto(f"{url}/org/acme/connectors/claude/remove/")
    assert "revokes 1 connected assistant of 1 person" in page.inner_text("#connector-impact")
    page.goto(f"{url}/org/acme/doctor/?subject={client_id}")
    assert "Spark Portal accepts the assistant Claude, connected" in page.inner_text("#verdict")
    assert "from 203.0.113.7" in page.inner_text("#verdict")
    check_page(page, spark_server, "item4-doctor-assistant")
