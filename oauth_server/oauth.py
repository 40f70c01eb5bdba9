"""The OAuth authorization server for assistants: django-oauth-toolkit, configured and extended.

Extensions, each where DOT offers the hook:
- `AuthorizeView` (here): PKCE S256 and the resource are checked before consent, the gates before
  consent (a page that says what is wrong and who can fix it), the organization chosen and the
  grant recorded on Allow;
- `SparkOAuth2Validator` (`oauth_server.validator`): the token endpoint's checks and records.
Registration (RFC 7591/7592) has its own module, `oauth_server.registration`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from oauth2_provider.cimd import is_cimd_client_id
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.forms import AllowForm
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from accounts import refusals
from accounts.gates import sentence
from accounts.models import Membership, Organization, User
from accounts.scopes import (
    DATASET_SCOPE_PREFIX,
    TOOLS_SCOPE,
    names_particular_datasets,
    organization_scopes,
)
from accounts.selectors import admin_organizations, organization_contacts
from audit.actions import Action
from audit.services import Origin, audit_record
from oauth_server.assistant_policies import approval_asked, approval_request
from oauth_server.client_metadata import refusal_reason
from oauth_server.platforms import VERIFIED, Platform
from oauth_server.selectors import (
    application_platform,
    live_connection,
    prospective_verdict,
)
from oauth_server.services import connection_record
from spark_portal.public_url import all_resource_urls, canonical_resource, mcp_resource_url

logger = logging.getLogger(__name__)


class ConsentForm(AllowForm):
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _organization_choices(user: User) -> list[Organization]:
    return [m.organization for m in Membership.objects.filter(user=user).select_related("organization")]


@method_decorator(never_cache, name="dispatch")  # the consent page and its refusals are never stored
class AuthorizeView(AuthorizationView):
    """Authorization code + PKCE (S256) with consent, gated before the consent page is shown."""

    template_name = "oauth_server/consent.html"
    form_class = ConsentForm
    needs_approval = False
    """The organization must approve the client before it connects, and nobody has asked yet."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        params = request.GET.copy()
        if "approval_prompt" in params:
            # Consent is always asked (a revoked assistant must ask again); clients can't skip it.
            params.pop("approval_prompt")
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        if "resource" not in params and "client_id" in params:
            # RFC 8707: bind every token to the MCP endpoint, even for clients that don't say so.
            params["resource"] = mcp_resource_url(request)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        resources = params.getlist("resource")
        canonical = [canonical_resource(request, r) or r for r in resources]
        if canonical != resources:
            # `…/mcp/` or `HTTPS://HOST/mcp` is this server's resource spelled another way: the grant,
            # and every token from it, is bound to the canonical spelling the MCP endpoint checks.
            params.setlist("resource", canonical)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        return super().get(request, *args, **kwargs)

    def validate_authorization_request(self, request: HttpRequest) -> tuple[list[str], dict[str, Any]]:
        try:
            scopes, credentials = super().validate_authorization_request(request)
        except ValueError:  # oauthlib's answer to a query string that is not URL encoding ("%zz")
            raise _not_url_encoding() from None
        redirect_uri, state = credentials.get("redirect_uri"), credentials.get("state")
        # DOT refuses `plain` only when the code is created, after the user clicked Allow. Refuse
        # before the consent page instead, back to the (already validated) redirect URI.
        method = credentials.get("code_challenge_method") or request.GET.get("code_challenge_method")
        if not credentials.get("code_challenge"):
            raise self._refuse("code_challenge is required (PKCE with S256)", redirect_uri, state)
        if method != "S256":
            raise self._refuse("code_challenge_method must be S256", redirect_uri, state)
        resources = request.GET.getlist("resource")
        allowed = all_resource_urls(request)
        if not resources or any(r not in allowed for r in resources):
            raise self._refuse(
                f"resource must be this server's MCP endpoint ({mcp_resource_url(request)})",
                redirect_uri,
                state,
                error="invalid_target",
            )
        return scopes, credentials

    def create_authorization_response(
        self, request: HttpRequest, scopes: str, credentials: dict[str, Any], allow: bool
    ) -> tuple[str, dict[str, str], str, int]:
        try:
            return super().create_authorization_response(request, scopes, credentials, allow)
        except ValueError:  # the consent form posted back to a URL whose query is not URL encoding
            raise _not_url_encoding() from None

    def redirect(self, redirect_to: str, application: Application | None) -> HttpResponse:
        """Every redirect back to the client carries `iss` (RFC 9207), errors included: DOT adds it
        to successful responses only, and clients following MCP 2026-07-28 reject a response without it."""
        issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
        return super().redirect(_with_iss(redirect_to, issuer), application)

    @staticmethod
    def _refuse(description: str, redirect_uri: str | None, state: str | None, error: str = "") -> OAuthToolkitError:
        if error == "invalid_target":
            oauth_error: Any = oauth_errors.CustomOAuth2Error(error=error, description=description, state=state)
        else:
            oauth_error = oauth_errors.InvalidRequestError(description=description, state=state)
        return OAuthToolkitError(error=oauth_error, redirect_uri=redirect_uri)

    def _gate(
        self, application: Application, organization: Organization | None, allow: bool | None = None
    ) -> dict[str, str] | None:
        """The refusal page's words when this user may not connect this client, else None. `allow`: the
        person's answer on the consent form (None: the consent page is only being shown)."""
        user = self.request.user
        platform = application_platform(application)
        if organization is None:
            return {
                "title": "Your account isn't part of an organization using Spark Portal",
                "message": "Spark Portal is available to members of organizations enabled for it.",
                "fix": "Ask the person who manages Spark Portal at your company to add you to their organization.",
            }
        verdict = prospective_verdict(user, organization, application, platform, timezone.now())
        if verdict.refusal is None:
            return None
        if verdict.refusal in (refusals.ASSISTANT_PENDING, refusals.ASSISTANT_DENIED):
            return self._approval_gate(application, organization, verdict.refusal, verdict.words, allow)
        if verdict.refusal in (refusals.CONNECTOR_UNPUBLISHED, refusals.NO_PLATFORM):
            label = Platform(platform).label if platform else "This"
            return {
                "title": f"{label} isn't published for {organization.name}",
                "message": verdict.sentence,
                "fix": verdict.ask,
                "unpublished": "yes",
            }
        return {"title": "Access denied", "message": verdict.sentence, "fix": verdict.ask}

    def _approval_gate(
        self,
        application: Application,
        organization: Organization,
        refusal: refusals.Refusal,
        words: str,
        allow: bool | None,
    ) -> dict[str, str] | None:
        """A client the organization has not approved. Nobody asked yet: the consent page is shown (with a
        notice), and allowing files the request, a POST, so no link can file one in someone's name;
        denying goes back to the assistant as any denial does. Asked, allowed or denied by an admin: the
        page that says so."""
        if refusal == refusals.ASSISTANT_PENDING:
            if allow is False or (allow is None and not approval_asked(organization, application)):
                self.needs_approval = True
                return None
            if allow:
                origin = Origin.of(self.request)
                approval_request(
                    organization=organization, application=application, user=self.request.user, origin=origin
                )
        return self._awaiting_approval(application, organization, refusal, words)

    def _awaiting_approval(
        self, application: Application, organization: Organization, refusal: refusals.Refusal, words: str
    ) -> dict[str, str]:
        """The page for a client waiting for approval (its admins were asked) or denied: it says who
        decides, and its button takes the person back to the assistant with `access_denied` (RFC 6749
        §4.1.2.1)."""
        denied = refusal == refusals.ASSISTANT_DENIED
        name = application.name or "This assistant"
        return {
            "title": f"{name} was denied by {organization.name}"
            if denied
            else f"Waiting for your admin's approval of {name}",
            "message": sentence(words),
            "fix": refusal.ask,
            "approval": "denied" if denied else "pending",
            "back": self._back_to_client(application, words),
        }

    def _back_to_client(self, application: Application, words: str) -> str:
        """The client's redirect URI with `access_denied` and the refusal as its description, or "" when
        the request names no redirect URI registered for the client."""
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        redirect_uri, state = data.get("redirect_uri", ""), data.get("state") or None
        if not redirect_uri or not application.redirect_uri_allowed(redirect_uri):
            return ""
        error = oauth_errors.AccessDeniedError(description=words, state=state)
        issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
        return _with_iss(error.in_uri(redirect_uri), issuer)

    def _refused(
        self,
        words: dict[str, str],
        application: Application,
        organization: Organization | None = None,
        status: int = 403,
    ) -> HttpResponse:
        """The page that says what is wrong and who can fix it, instead of the consent page."""
        platform = application_platform(application)
        context = {
            **words,
            "application": application,
            "organization": organization,
            "contacts": organization_contacts(organization) if organization else [],
            "you_admin": organization is not None
            and admin_organizations(self.request.user).filter(pk=organization.pk).exists(),
            "platform": Platform(platform) if platform else None,
            "assistant_platform": platform in VERIFIED,
        }
        template = "oauth_server/approval_waiting.html" if words.get("approval") else "oauth_server/refused.html"
        return render(self.request, template, context, status=status)

    def _chosen_organization(self, organizations: list[Organization]) -> Organization | None:
        wanted = self.request.POST.get("organization") or self.request.GET.get("organization")
        for org in organizations:
            if wanted and str(org.pk) == str(wanted):
                return org
        return organizations[0] if organizations else None

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        application = context.get("application")
        if application is None:  # an error page from DOT (unknown client, bad redirect URI…)
            client_id = self.request.GET.get("client_id", "")
            if context.get("error") is not None and _unresolved_document(client_id):
                context["metadata_refusal"] = refusal_reason(client_id) or _DOCUMENT_UNREAD.format(url=client_id)
            return super().render_to_response(context, **kwargs)
        organizations = _organization_choices(self.request.user)
        organization = self._chosen_organization(organizations)
        refusal = self._gate(application, organization)
        if refusal is not None:
            return self._refused(refusal, application, organization)
        platform = application_platform(application)
        assert organization is not None  # _gate refuses a user without one
        requested = context.get("scopes") or []
        scopes, follows = consent_scopes(organization, requested)
        if requested and not scopes:
            # Nothing to consent to: tell the assistant (it may ask again for other scopes), not a page.
            error = _no_granted_scope(organization, context.get("redirect_uri"), context.get("state"))
            return self.error_response(error, application)
        context.update(
            organizations=organizations,
            organization=organization,
            platform=Platform(platform) if platform else None,
            verified=platform in VERIFIED,
            redirect_host=_host(context.get("redirect_uri", "")),
            scope_rows=_scope_rows(organization, scopes, follows),
            scope_dropped=[s for s in requested if s not in scopes],
            already_connected=live_connection(self.request.user, application),
            needs_approval=self.needs_approval,
            authorize_path=self.request.get_full_path(),
        )
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        if application is None:  # the hidden client_id came back altered
            words = {"title": "Invalid request", "fix": "", "message": "The client of this request is unknown."}
            return render(self.request, "oauth_server/refused.html", words, status=400)
        organizations = _organization_choices(self.request.user)
        organization = self._chosen_organization(organizations)
        refusal = self._gate(application, organization, allow=bool(form.cleaned_data.get("allow")))
        if refusal is not None:
            return self._refused(refusal, application, organization)
        assert organization is not None
        resources = (form.cleaned_data.get("resource") or "").split()
        if not resources or any(r not in all_resource_urls(self.request) for r in resources):
            # The hidden field came back altered: the GET already refused any other resource.
            words = {"title": "Invalid request", "fix": "", "message": "The requested resource is not this server's."}
            return self._refused(words, application, organization, status=400)
        scopes, follows = consent_scopes(organization, (form.cleaned_data.get("scope") or "").split())
        if form.cleaned_data.get("allow") and not scopes:
            error = _no_granted_scope(organization, form.cleaned_data["redirect_uri"], form.cleaned_data.get("state"))
            return self.error_response(error, application)
        form.cleaned_data["scope"] = " ".join(scopes)
        if form.cleaned_data.get("allow") and scopes:
            connection_record(
                user=self.request.user,
                organization=organization,
                application=application,
                platform=application_platform(application),  # type: ignore[arg-type]
                scope=" ".join(scopes),
                origin=Origin.of(self.request),
                all_datasets=follows,
            )
        elif not form.cleaned_data.get("allow"):
            audit_record(
                action=Action.GRANT_DENIED,
                summary=f"{self.request.user.email} denied {application.name or 'an unnamed client'}",
                organization=organization,
                actor=self.request.user,
                origin=Origin.of(self.request),
                detail={"client_id": application.client_id},
            )
        return super().form_valid(form)


def consent_scopes(organization: Organization, requested: list[str]) -> tuple[list[str], bool]:
    """What allowing grants, in the organization's order, and whether the grant follows the
    organization's datasets. An assistant that asks for no particular dataset (none, or exactly the
    catalog's that discovery lists) gets every dataset the organization has, now and later: its
    scope lists today's, and the MCP endpoint reads the organization's on every request. One that
    names datasets gets those of them the organization has, and only those."""
    granted = organization_scopes(organization)
    follows = not names_particular_datasets(requested)
    chosen = [s for s in granted if s in requested or (follows and s.startswith(DATASET_SCOPE_PREFIX))]
    return chosen, follows


def _scope_rows(organization: Organization, scopes: list[str], follows: bool) -> list[tuple[str, str]]:
    """The consent page's "It will be able to" lines: (scope, words)."""
    words = organization_scopes(organization)
    rows = [(s, words[s]) for s in scopes if not (follows and s.startswith(DATASET_SCOPE_PREFIX))]
    if follows:
        datasets = [s for s in scopes if s.startswith(DATASET_SCOPE_PREFIX)]
        now = ", ".join(s[len(DATASET_SCOPE_PREFIX) :] for s in datasets) or "none yet"
        line = f"Use every dataset {organization.name} has, including ones it is given later (now: {now})"
        rows.append((" ".join(datasets), line))
    return rows


_DOCUMENT_UNREAD = (
    "Spark Portal could not read the client metadata document at {url} just now (too many are being fetched, or "
    "it failed a moment ago); start the connection again in a minute."
)


def _unresolved_document(client_id: str) -> bool:
    """A client ID that is a metadata document's URL for which no client exists: DOT refused it."""
    return is_cimd_client_id(client_id) and not Application.objects.filter(client_id=client_id).exists()


def _no_granted_scope(organization: Organization, redirect_uri: str | None, state: str | None) -> OAuthToolkitError:
    """invalid_scope back to the client: none of the scopes asked for is one the organization has."""
    description = f"none of the requested scopes is available to {organization.name}; ask for {TOOLS_SCOPE}"
    error = oauth_errors.InvalidScopeError(description=description, state=state)
    return OAuthToolkitError(error=error, redirect_uri=redirect_uri)


def _not_url_encoding() -> FatalClientError:
    """Fatal: the error page, not a redirect back to the client."""
    error = oauth_errors.InvalidRequestFatalError(description="the query string is not valid URL encoding")
    return FatalClientError(error=error)


def _host(uri: str) -> str:
    return urlsplit(uri).netloc


def _with_iss(uri: str, issuer: str) -> str:
    """`uri` with exactly one `iss` query parameter, the issuer's (one already there is replaced)."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("iss", issuer)])))
