"""The Policies page's tools, datasets and network part (docs/policies.md): its own form, saved by
`administration.connection_policies` (checked and audited there), shown beneath the token policies."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.decorators import org_admin_required
from accounts.forms import PoliciesForm
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from accounts.policies import Policies, longest_token_days
from administration.connection_policies import (
    OWN_ADDRESS_OUTSIDE,
    ConnectionPolicies,
    live_tokens,
    organization_connection_policies_set,
    parse_networks,
    tool_names,
)
from audit.services import Origin
from oauth_server.platforms import Platform
from spark_portal.client_address import client_address

_TICKS = forms.CheckboxSelectMultiple


def _lines(value: list[str]) -> str:
    return "\n".join(value)


class ConnectionPoliciesForm(forms.Form):
    tools_on = forms.MultipleChoiceField(
        required=False, widget=_TICKS, label="Tools on", choices=[(name, name) for name in tool_names()]
    )
    token_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "aria-describedby": "token-networks-help"}),
        label="Personal access tokens and the management API: allowed ranges",
    )
    assistant_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "aria-describedby": "assistant-networks-help"}),
        label="Assistants: allowed ranges",
    )
    confirm_outside = forms.BooleanField(required=False, label="Save anyway: I know my current address is left out")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = [(c, f"{c} ({n})") for c, n in organization.datasets.order_by("code").values_list("code", "name")]
        self.groups: list[tuple[str, str, str]] = []
        """(what is limited, its limit checkbox's name, its datasets' name) for the template."""
        holders = [(f"platform_{p.value}", f"{p.label} assistants") for p in Platform]
        holders += [(f"token_{t.pk}", f"Token “{t.name}” of {t.user.email}") for t in live_tokens(organization)]
        for key, label in holders:
            self.fields[f"limit_{key}"] = forms.BooleanField(required=False, label=f"Limit {label}")
            self.fields[f"datasets_{key}"] = forms.MultipleChoiceField(
                required=False, widget=_TICKS, choices=codes, label=f"Datasets {label} may use"
            )
            self.groups.append((label, f"limit_{key}", f"datasets_{key}"))

    def limit_groups(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """Each platform's and token's limit, as bound fields for the template."""
        return [(label, self[limit], self[datasets]) for label, limit, datasets in self.groups]

    @classmethod
    def initial_for(cls, organization: Organization) -> dict[str, Any]:
        current = ConnectionPolicies.of(organization)
        initial: dict[str, Any] = {
            "tools_on": [t for t in tool_names() if t not in current.tools_off],
            "token_networks": _lines(current.token_networks),
            "assistant_networks": _lines(current.assistant_networks),
        }
        limits = [("platform", current.platform_datasets), ("token", current.token_datasets)]
        for prefix, chosen in limits:
            for key, datasets in chosen.items():
                initial[f"limit_{prefix}_{key}"] = True
                initial[f"datasets_{prefix}_{key}"] = datasets
        return initial

    def _ranges(self, name: str, which: str) -> list[str]:
        try:
            return parse_networks(self.cleaned_data[name].splitlines(), which)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_token_networks(self) -> list[str]:
        return self._ranges("token_networks", "Personal access tokens and the management API")

    def clean_assistant_networks(self) -> list[str]:
        return self._ranges("assistant_networks", "Assistants")

    def wanted(self) -> ConnectionPolicies:
        data = self.cleaned_data
        limits: dict[str, dict[str, list[str]]] = {"platform": {}, "token": {}}
        for _, limit, datasets in self.groups:
            if data[limit]:
                prefix, _, key = limit.removeprefix("limit_").partition("_")
                limits[prefix][key] = list(data[datasets])
        return ConnectionPolicies(
            tools_off=[t for t in tool_names() if t not in data["tools_on"]],
            platform_datasets=limits["platform"],
            token_datasets=limits["token"],
            token_networks=data["token_networks"],
            assistant_networks=data["assistant_networks"],
        )


def connection_form(organization: Organization, data: Any = None) -> ConnectionPoliciesForm:
    return ConnectionPoliciesForm(
        data, organization=organization, initial=ConnectionPoliciesForm.initial_for(organization)
    )


def page_context(
    request: AuthenticatedRequest, organization: Organization, form: ConnectionPoliciesForm
) -> dict[str, Any]:
    """What the Policies page shows of these policies: the form, and the admin's own address."""
    return {"connection_form": form, "own_address": client_address(request) or "not known"}


@never_cache
@org_admin_required
def connection_policies(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Save the tools, datasets and network policies; a token allow-list leaving out the admin's own
    address asks for confirmation first (a GET shows them, on the Policies page)."""
    if request.method != "POST":
        return redirect("orgadmin:policies", slug=organization.slug)
    form = connection_form(organization, request.POST)
    if form.is_valid():
        try:
            organization_connection_policies_set(
                organization=organization,
                wanted=form.wanted(),
                actor=request.user,
                origin=Origin.of(request),
                confirmed=form.cleaned_data["confirm_outside"],
            )
        except ValidationError as refused:
            form.add_error(None, refused)
            form.outside = refused.code == OWN_ADDRESS_OUTSIDE  # type: ignore[attr-defined]
        else:
            messages.success(request, f"{organization.name}'s tools, datasets and network policies are saved.")
            return redirect("orgadmin:policies", slug=organization.slug)
    context = {
        "organization": organization,
        "form": PoliciesForm(initial=asdict(Policies.of(organization))),
        "longest": longest_token_days(),
        **page_context(request, organization, form),
    }
    return render(request, "orgadmin/policies.html", context, status=400)
