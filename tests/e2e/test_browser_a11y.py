"""Accessibility and layout of every portal page, checked by axe-core (tools/node_modules/axe-core)
in Chromium, at 1280 and 390 px wide.

Each page in PAGES is opened (signed in as the demo admin, or signed out where it says so), with
long content seeded first (LONG_CONTENT: a member with a long address, tokens used from an IPv6
address, a full page of audit events), at both widths: it must fit (`conftest.assert_fits`: no
sideways scroll, and no element wider than its container), and axe-core is loaded into it and
`axe.run()` checks it; any violation of impact "serious" or "critical" fails the page's test,
listing the rule, the elements and axe's advice.

axe-core is loaded as a same-origin script (`/__axe__/axe.min.js`, answered by `context.route` from
the file in tools/node_modules), so the page keeps its real Content-Security-Policy: Playwright's
`add_script_tag(path=...)` inserts an inline <script>, which the policy (script-src 'self') blocks.

The error pages (404, 403, 500) are what Django shows with DEBUG off, but the e2e server runs with
DEBUG on (where Django shows its debug pages instead): they are rendered here by Django's own
handlers (`django.views.defaults`, what production calls, with no database) and served to Chromium
at the e2e server's origin, under the CSP the server sends, with the server's real stylesheet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.views import defaults
from playwright.sync_api import Browser, BrowserContext, Page, Route
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.assistant import authorize_url, register
from tests.e2e.conftest import ROOT, LiveServer, assert_fits, password_sign_in, shot
from tests.e2e.test_browser_consent import _chat_insight_id

pytestmark = pytest.mark.e2e

AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe__/axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# Rules whose "needs review" results are defects on server-rendered pages, so they fail too: an
# aria-describedby/aria-labelledby naming an ID that is not in the page.
REVIEW_FAILS = {"aria-valid-attr-value"}

# Every page axe checks: add yours here. Paths are opened signed in as the demo admin
# (admin@acme.example), except those under SIGNED_OUT. "{insight}" is a real insight's page and
# "{consent}" the OAuth consent page for a freshly registered Claude client (made at run time);
# "{error:404}" and friends are the error pages (see the module docstring).
PAGES = (
    "/",
    "/settings/",
    "/settings/tokens/",
    "/settings/connected-apps/",
    "/settings/email/",
    "/auth/password/change/",
    "/auth/2fa/",
    "/org/acme/",
    "/org/acme/domains/",
    "/org/acme/audit/",
    "/org/acme/audiences/",
    "/org/acme/clients/new/",
    "/org/acme/members/",
    "/org/acme/people-access/",
    "/org/acme/people-access/?kind=custom&state=revoked",
    "/org/acme/usage/",
    "/org/acme/doctor/?subject=member%40acme.example",
    "/org/acme/doctor/?subject=christopher.alexander.montgomery-wolfe.layout%40acme.example",
    "/org/acme/audit/?action=layout.check",
    "/org/acme/sso/",
    "/org/acme/scim/",
    "/org/acme/connectors/claude/remove/",
    "/org/acme/access/end/",
    "/datasets/ds-core/",
    "/org/acme/mfa/",
    "{confirm:domain-disable}",
    "{confirm:member-remove}",
    "{confirm:member-mfa-reset}",
    "{confirm:credential-revoke}",
    "{confirm:person-revoke}",
    "{confirm:token-revoke}",
    "{insight}",
    "{consent}",
    "/auth/login/",
    "/auth/password/reset/",
    "{error:404}",
    "{error:403}",
    "{error:500}",
)
IDENTITY_PAGES = {
    "sso": "/org/acme/sso/",
    "scim": "/org/acme/scim/",
    "doctor": "/org/acme/doctor/?subject=member%40acme.example",
    "domains": "/org/acme/domains/",
    "email": "/settings/email/",
}
SIGNED_OUT = {"/auth/login/", "/auth/password/reset/", "{error:404}", "{error:403}", "{error:500}"}
WIDTHS = (1280, 390)
LONG_EMAIL = "christopher.alexander.montgomery-wolfe.layout@acme.example"

# What makes pages wide or tall, as real organizations have it: a long address (in headings and
# tables), tokens with long names used from an IPv6 address by a wordy client, revoked ones, and more
# audit events than one page shows, with long summaries.
LONG_CONTENT = f"""
import datetime as dt
from django.utils import timezone
from accounts.models import Membership, Organization, PersonalAccessToken, User
from accounts.services import token_create
from audit.models import AuditEvent
acme = Organization.objects.get(slug="acme")
admin = User.objects.get(email="admin@acme.example")
if not User.objects.filter(email="{LONG_EMAIL}").exists():
    person = User.objects.create_user(email="{LONG_EMAIL}", password="unused-password-42")
    Membership.objects.create(user=person, organization=acme)
    address = "2001:db8:85a3:1234:5678:8a2e:370:7334"
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) SparkReportingAgent/4.12.0-beta.7"
    for name in ("Quarterly audience reporting agent for the EMEA insights team (production)", "nightly-export"):
        for owner in (admin, person):
            token = token_create(user=owner, organization=acme, name=name, days=90, scopes=["insights:read"]).token
            PersonalAccessToken.objects.filter(pk=token.pk).update(
                last_used_at=timezone.now(), last_used_address=address, last_used_agent=agent
            )
    PersonalAccessToken.objects.filter(name="nightly-export").update(revoked_at=timezone.now())
    for n in range(60):  # rows of an action of their own (written past the registry), so the filter finds only them
        AuditEvent.objects.create(
            action="layout.check", organization=acme, actor=person, ip_address=address, user_agent=agent,
            summary=f"{LONG_EMAIL} changed the data retention settings of audience number {{n}} and its exports",
        )
"""

# Violations in pages whose templates are being changed by others, with the fix each needs:
# {(page, axe rule id): "file: element: fix"}. Each is reported as an expected failure (xfail,
# listed by `pytest -ra`), never skipped silently; any other violation fails, and so does an
# entry here that no longer happens (delete it when the template is fixed).
KNOWN: dict[tuple[str, str], str] = {}

# The error pages, rendered by Django's handlers at these paths of the e2e server's origin.
ERROR_PATHS = {"{error:404}": "/no-such-page/", "{error:403}": "/error-403-page/", "{error:500}": "/error-500-page/"}
_RENDER: dict[str, Callable[[Any], HttpResponse]] = {
    "{error:404}": lambda request: defaults.page_not_found(request, Http404()),
    "{error:403}": lambda request: defaults.permission_denied(request, PermissionDenied()),
    "{error:500}": lambda request: defaults.server_error(request),
}


def _serve_axe(route: Route) -> None:
    route.fulfill(status=200, content_type="application/javascript", body=AXE.read_text())


def _context(browser: Browser, server: LiveServer) -> BrowserContext:
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}; run scripts/setup.sh --dev (npm ci in tools/)")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(f"{server.url}{AXE_PATH}", _serve_axe)
    return context


@pytest.fixture(scope="module")
def long_content(spark_server: LiveServer) -> None:
    spark_server.manage("shell", "-c", LONG_CONTENT)


@pytest.fixture(scope="module")
def signed_in(browser: Browser, spark_server: LiveServer, long_content: None) -> Iterator[Page]:
    context = _context(browser, spark_server)
    page = context.new_page()
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    yield page
    context.close()


def _error_page(path: str, render: Callable[[Any], HttpResponse], csp: str) -> Callable[[Route], None]:
    """A route handler answering with the page Django's handler renders for `path`."""

    def serve(route: Route) -> None:
        response = render(RequestFactory().get(path))
        route.fulfill(
            status=response.status_code,
            headers={"Content-Type": response["Content-Type"], "Content-Security-Policy": csp},
            body=response.content,
        )

    return serve


@pytest.fixture(scope="module")
def signed_out(browser: Browser, spark_server: LiveServer) -> Iterator[Page]:
    context = _context(browser, spark_server)
    csp = context.request.get(f"{spark_server.url}/auth/login/").headers["content-security-policy"]
    for name, render in _RENDER.items():
        context.route(spark_server.url + ERROR_PATHS[name], _error_page(ERROR_PATHS[name], render, csp))
    page = context.new_page()
    yield page
    context.close()


# The confirm pages, each about the long-named person of LONG_CONTENT (or their token): their paths
# hold row IDs, so they are looked up once the rows exist.
CONFIRM_PATHS = f"""
import json
from accounts.models import EmailDomain, Membership, PersonalAccessToken
person = Membership.objects.get(organization__slug="acme", user__email="{LONG_EMAIL}")
token = PersonalAccessToken.objects.filter(user__email="admin@acme.example", revoked_at=None).order_by("pk").first()
domain = EmailDomain.objects.get(organization__slug="acme", domain="acme.example")
print(json.dumps({{
    "domain-disable": f"/org/acme/domains/{{domain.pk}}/disable/",
    "member-remove": f"/org/acme/members/{{person.pk}}/remove/",
    "member-mfa-reset": f"/org/acme/members/{{person.pk}}/two-factor-reset/",
    "credential-revoke": f"/org/acme/people-access/token-{{token.pk}}/revoke/",
    "person-revoke": f"/org/acme/people/{{person.user_id}}/revoke/",
    "token-revoke": f"/settings/tokens/{{token.pk}}/revoke/",
}}))
"""


@pytest.fixture(scope="module")
def confirm_paths(spark_server: LiveServer, long_content: None) -> dict[str, str]:
    output = spark_server.manage("shell", "-c", CONFIRM_PATHS)
    return dict(json.loads(output.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def insight_path(spark_server: LiveServer) -> str:
    return f"/insights/{_chat_insight_id(spark_server)}/"


def _open(page: Page, server: LiveServer, name: str, insight_path: str, confirm: dict[str, str]) -> None:
    if name.startswith("{confirm:"):
        name = confirm[name[9:-1]]
    if name == "{consent}":
        url, _ = authorize_url(server, register(server))
        page.goto(url)
        page.wait_for_selector("#consent-form")
        return
    path = insight_path if name == "{insight}" else ERROR_PATHS.get(name, name)
    response = page.goto(server.url + path)
    assert response is not None
    expected = int(name[7:10]) if name.startswith("{error:") else 200
    assert response.status == expected, f"{name}: HTTP {response.status}"


def axe_violations(page: Page, server: LiveServer) -> list[dict[str, Any]]:
    """Run axe-core in the page as it is; its violations of impact serious or critical (and the
    "needs review" results of REVIEW_FAILS)."""
    page.add_script_tag(url=server.url + AXE_PATH)
    results = page.evaluate("async () => await axe.run(document)")
    review = [r for r in results["incomplete"] if r["id"] in REVIEW_FAILS]
    return [v for v in [*results["violations"], *review] if v["impact"] in FAILING_IMPACTS]


def describe(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"      {' '.join(map(str, n['target']))}: {n['html'][:160]}\n        {' '.join(n['failureSummary'].split())}"
        for n in violation["nodes"][:6]
    )
    return f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})\n{nodes}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_and_has_no_serious_accessibility_violation(
    request: pytest.FixtureRequest,
    spark_server: LiveServer,
    insight_path: str,
    confirm_paths: dict[str, str],
    name: str,
    width: int,
) -> None:
    page: Page = request.getfixturevalue("signed_out" if name in SIGNED_OUT else "signed_in")
    page.set_viewport_size({"width": width, "height": 900})
    _open(page, spark_server, name, insight_path, confirm_paths)
    shot(page, f"a11y-page-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')[:60] or 'home'}-{width}")
    assert_fits(page, name)
    violations = axe_violations(page, spark_server)
    known = {rule: why for (where, rule), why in KNOWN.items() if where == name}
    unexpected = [v for v in violations if v["id"] not in known]
    assert not unexpected, f"{name} ({page.url}):\n" + "\n".join(map(describe, unexpected))
    stale = set(known) - {v["id"] for v in violations}
    assert not stale, f"{name}: {sorted(stale)} no longer happen: delete them from KNOWN"
    if known:
        pytest.xfail("; ".join(f"{rule}: {why}" for rule, why in known.items()))


def test_axe_under_the_pages_csp_and_a_violation_is_caught(browser: Browser, spark_server: LiveServer) -> None:
    """The check itself: Playwright's inline injection is blocked by the page's CSP (hence the
    same-origin route), and axe loaded that way does report serious violations when there are some
    (a field without its label, text at 2.3:1)."""
    context = _context(browser, spark_server)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    with pytest.raises(PlaywrightError, match="violates the following Content Security Policy directive"):
        page.add_script_tag(path=str(AXE))
    assert page.evaluate("typeof window.axe") == "undefined"
    page.evaluate("document.querySelector('label[for=id_login]').remove()")
    page.evaluate("document.querySelector('p.lead').style.color = '#aaaaaa'")  # 2.3:1 on white
    violations = axe_violations(page, spark_server)
    assert {"label", "color-contrast"} <= {v["id"] for v in violations}, json.dumps(violations)[:500]
    context.close()


def test_skip_link_and_focus_ring(browser: Browser, spark_server: LiveServer) -> None:
    context = _context(browser, spark_server)
    page = context.new_page()
    page.goto(f"{spark_server.url}/auth/login/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("e => e === document.activeElement")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link must be visible when focused"
    ring = skip.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring == ["solid", "3px", "rgb(91, 61, 245)"], ring
    shot(page, "a11y-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop after the skip target is inside <main>
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_error_page_screenshots(signed_out: Page, spark_server: LiveServer, width: int) -> None:
    signed_out.set_viewport_size({"width": width, "height": 800})
    for name, path in ERROR_PATHS.items():
        signed_out.goto(spark_server.url + path)
        assert signed_out.locator("h1").count() == 1 and "Go to Spark Portal home" in signed_out.inner_text("main")
        assert signed_out.evaluate("getComputedStyle(document.querySelector('a.button')).backgroundColor") == (
            "rgb(91, 61, 245)"
        ), "the stylesheet must load"
        wide = signed_out.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{name}: {wide} px of horizontal scroll at {width} px"
        shot(signed_out, f"a11y-error-{name[7:10]}-{width}")
    signed_out.set_viewport_size({"width": 1280, "height": 900})


def test_header_marks_the_current_page_and_section(signed_in: Page, spark_server: LiveServer) -> None:
    header = signed_in.locator("header nav")
    for width in (1280, 390):
        signed_in.set_viewport_size({"width": width, "height": 800})
        signed_in.goto(f"{spark_server.url}/settings/tokens/")
        assert header.get_attribute("aria-label") == "Account and organizations"
        assert header.locator("[aria-current=page]").inner_text() == "Access tokens"
        signed_in.goto(f"{spark_server.url}/org/acme/domains/")
        current = header.locator("[aria-current]")
        assert current.count() == 1 and current.get_attribute("aria-current") == "true"
        assert current.evaluate("e => getComputedStyle(e).fontWeight") == "600"
        current.focus()
        shot(signed_in, f"a11y-header-current-{width}")
    signed_in.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("width", [1280, 390])
def test_identity_console_pages_fit_and_pass_axe_at_both_widths(
    signed_in: Page, spark_server: LiveServer, width: int
) -> None:
    """The pages enterprise identity changed, at a desktop and a phone width: no sideways scroll,
    no serious axe violation, and a screenshot of each to look at."""
    signed_in.set_viewport_size({"width": width, "height": 900})
    for name, path in IDENTITY_PAGES.items():
        signed_in.goto(spark_server.url + path)
        assert_fits(signed_in, f"{path} at {width} px")
        violations = axe_violations(signed_in, spark_server)
        assert not violations, f"{path} at {width} px:\n" + "\n".join(map(describe, violations))
        shot(signed_in, f"a11y-{name}-{width}")
    signed_in.set_viewport_size({"width": 1280, "height": 900})


def test_console_pages_are_not_pushed_down_and_the_audit_trail_pages(signed_in: Page, spark_server: LiveServer) -> None:
    """Issue 25, item 6: at 390 px the console's section links take one row, not five; the audit
    trail shows 25 events a page, compactly, with its filters kept in the page links; the usage
    chart's dates are readable."""
    url = spark_server.url
    for width in WIDTHS:
        signed_in.set_viewport_size({"width": width, "height": 900})
        signed_in.goto(f"{url}/org/acme/audit/?action=layout.check")
        nav = signed_in.locator("nav.subnav").bounding_box()
        most = 50 if width == 390 else 80  # one row of pills on a phone; at most two on a desktop
        assert nav is not None and nav["height"] < most, f"the section links are {nav} at {width} px"
        assert signed_in.locator("table.audit tbody tr").count() == 25
        shot(signed_in, f"item6-audit-{width}")
        height = signed_in.evaluate("document.documentElement.scrollHeight")
        assert width > 390 or height < 4500, f"the audit trail is {height} px tall at {width} px"  # was 9,933
        older = signed_in.locator("a", has_text="Older")
        assert "action=layout.check" in (older.get_attribute("href") or "")
        older.click()
        assert signed_in.locator("table.audit tbody tr").count() == 25
        signed_in.locator("a", has_text="Older").click()
        assert signed_in.locator("table.audit tbody tr").count() == 10
        assert signed_in.locator("#f-action").input_value() == "layout.check"
        signed_in.goto(f"{url}/org/acme/usage/")
        axis = signed_in.locator(".chart-axis span").first.bounding_box()
        assert axis is not None and axis["height"] >= 12, f"the chart's dates are {axis} at {width} px"
        shot(signed_in, f"item6-usage-{width}")
    signed_in.set_viewport_size({"width": 1280, "height": 900})
