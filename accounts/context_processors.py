from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.selectors import admin_organizations

# The header link each page belongs to, by URL namespace and the start of its URL name: the link
# gets aria-current="page" (and its look) on those pages. An organization's admin pages belong to
# that organization's link ("org", with `nav_org_slug`).
NAV_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("accounts", "settings", "account"),
    ("accounts", "token", "tokens"),
    ("oauth_server", "connected-app", "connected-apps"),
    ("orgadmin", "", "org"),
    ("identity", "sso", "org"),
    ("identity", "connection", "org"),
    ("identity", "require", "org"),
    ("scim", "", "org"),
)


def nav_section(request: HttpRequest) -> tuple[str, str]:
    """(section, organization slug) of the page being shown; ("", "") when it has none."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", ""
    for namespace, name_start, section in NAV_SECTIONS:
        if match.namespace == namespace and (match.url_name or "").startswith(name_start):
            return section, str(match.kwargs.get("slug", "")) if section == "org" else ""
    return "", ""


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Organizations the signed-in user administers, for the header links, and which link is current."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    section, org_slug = nav_section(request)
    return {"nav_admin_orgs": list(admin_organizations(user)), "nav_section": section, "nav_org_slug": org_slug}
