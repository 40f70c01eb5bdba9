"""Plays the user's browser for an OAuth client under test: follows the authorization URL,
signs in through the real sign-in form, and clicks Allow on the real consent form."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp.shared.auth import AuthorizationCodeResult

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Browser:
    base_url: str
    email: str
    password: str
    callback_prefix: str
    allow: bool = True
    consents: int = 0
    last_status: int = 0
    last_page: str = ""
    callback: AuthorizationCodeResult | None = None
    http: httpx2.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx2.Client(follow_redirects=False, timeout=30)

    def post_form(self, path: str, data: dict[str, str] | None = None) -> httpx2.Response:
        """POST a portal form as the signed-in user (fetches a CSRF token from the page first)."""
        page = self.http.get(urljoin(self.base_url, "/settings/"))
        token = _CSRF.search(page.text)
        assert token, "not signed in"
        return self.http.post(
            urljoin(self.base_url, path), data={"csrfmiddlewaretoken": token.group(1), **(data or {})}
        )

    def sign_in(self, next_url: str = "/settings/") -> httpx2.Response:
        login = urljoin(self.base_url, "/auth/login/")
        page = self.http.get(login, params={"next": next_url})
        token = _CSRF.search(page.text)
        assert token, page.text[:500]
        return self.http.post(
            login,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "login": self.email,
                "password": self.password,
                "next": next_url,
            },
        )

    def authorize(self, url: str) -> None:
        """What the user does after the client opens `url`; leaves `callback` set on success."""
        self.callback = None
        response = self.http.get(url)
        for _ in range(10):
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303) or not location:
                break
            target = urljoin(str(response.url), location)
            if target.startswith(self.callback_prefix):
                self._capture(target)
                return
            if urlsplit(target).path == "/auth/login/":
                next_url = parse_qs(urlsplit(target).query)["next"][0]
                response = self.sign_in(next_url)
                continue
            response = self.http.get(target)
        self.last_status, self.last_page = response.status_code, response.text
        if response.status_code == 200 and 'id="consent-form"' in response.text:
            self.consents += 1
            fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}
            if self.allow:
                fields["allow"] = "Authorize"
            else:
                fields.pop("allow", None)
            answer = self.http.post(str(response.url), data=fields)
            location = answer.headers.get("location", "")
            if answer.status_code in (302, 303) and location.startswith(self.callback_prefix):
                self._capture(location)
            else:
                self.last_status, self.last_page = answer.status_code, answer.text

    def _capture(self, target: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        self.last_status, self.last_page = 302, target
        if "code" in query:
            self.callback = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    async def redirect_handler(self, url: str) -> None:
        self.authorize(url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        if self.callback is None:
            raise RuntimeError(
                f"no authorization code; browser ended on HTTP {self.last_status}: {self.last_page[-1500:]}"
            )
        return self.callback
