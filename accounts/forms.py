from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings

from accounts.models import Organization, User
from accounts.scopes import organization_scopes
from accounts.selectors import user_organizations


class TokenCreateForm(forms.Form):
    """Name, expiry (never unlimited) and scopes limited to what the organization may access."""

    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'reporting agent'.")
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    days = forms.TypedChoiceField(
        label="Expires in",
        coerce=int,
        choices=[(d, f"{d} days") for d in settings.PAT_EXPIRY_CHOICES_DAYS],
        initial=30,
    )
    scopes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = user_organizations(user)
        organization = cast(forms.ModelChoiceField, self.fields["organization"])
        organization.queryset = orgs
        choices: dict[str, str] = {}
        for org in orgs:
            choices.update(organization_scopes(org))
        scopes = cast(forms.MultipleChoiceField, self.fields["scopes"])
        scopes.choices = list(choices.items())
        scopes.initial = list(choices)
        if len(orgs) == 1:
            organization.initial = orgs[0]
            organization.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        org, scopes = data.get("organization"), data.get("scopes")
        if org and scopes:
            outside = sorted(set(scopes) - set(organization_scopes(org)))
            if outside:
                self.add_error("scopes", f"{org.name} cannot grant: {', '.join(outside)}.")
        return data


class EmailDomainForm(forms.Form):
    domain = forms.CharField(max_length=253, help_text="The part after @ in your people's addresses, e.g. acme.com.")
