from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

from accounts.models import Organization, Role, User
from accounts.policies import QUOTA_LIMIT
from accounts.scopes import MANAGEMENT_SCOPES, organization_scopes, token_scopes
from accounts.selectors import admin_organizations, user_organizations

ALL_DATASETS, CHOSEN_DATASETS = "all", "chosen"


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
    datasets = forms.ChoiceField(
        label="Datasets",
        choices=[
            (ALL_DATASETS, "Every dataset the organization has, including ones it is given later"),
            (CHOSEN_DATASETS, "Only the datasets ticked below"),
        ],
        widget=forms.RadioSelect,
        initial=ALL_DATASETS,
        required=False,  # a form posted without it is decided by the ticked datasets (services._follows)
    )
    scopes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args: Any, user: User, now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.TypedChoiceField, self.fields["days"]).choices = expiry_choices(now or timezone.now())
        orgs = user_organizations(user)
        organization = cast(forms.ModelChoiceField, self.fields["organization"])
        organization.queryset = orgs
        choices: dict[str, str] = {}
        for org in orgs:
            choices.update(organization_scopes(org))
        self.management = set(MANAGEMENT_SCOPES) if admin_organizations(user).exists() else set()
        scopes = cast(forms.MultipleChoiceField, self.fields["scopes"])
        scopes.choices = list(choices.items()) + [(s, MANAGEMENT_SCOPES[s]) for s in sorted(self.management)]
        scopes.initial = list(choices)  # the management API's scopes are asked for, never given by default
        if len(orgs) == 1:
            organization.initial = orgs[0]
            organization.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        org, scopes = data.get("organization"), data.get("scopes")
        if org and scopes:
            outside = sorted(
                set(scopes) - set(token_scopes(org, admin=admin_organizations(self.user).filter(pk=org.pk).exists()))
            )
            if outside:
                self.add_error("scopes", f"{org.name} cannot grant: {', '.join(outside)}.")
        return data

    @property
    def all_datasets(self) -> bool | None:
        """The owner's choice: follow the organization's datasets, or only the ones ticked."""
        return {ALL_DATASETS: True, CHOSEN_DATASETS: False}.get(self.cleaned_data.get("datasets") or "")


def expiry_choices(now: dt.datetime) -> list[tuple[int, str]]:
    """Each offered lifetime with the date a token created now would expire, e.g. "30 days (until 2026-12-28)"."""
    return [
        (days, f"{days} days (until {timezone.localtime(now + dt.timedelta(days=days)):%Y-%m-%d})")
        for days in settings.PAT_EXPIRY_CHOICES_DAYS
    ]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New sign-in address", max_length=254)


class EmailDomainForm(forms.Form):
    domain = forms.CharField(max_length=253, help_text="The part after @ in your people's addresses, e.g. acme.com.")


class PoliciesForm(forms.Form):
    """An organization's policies (the console's Policies page; the rules are `accounts.policies`)."""

    personal_tokens_allowed = forms.BooleanField(
        required=False, label="Members may create and use personal access tokens"
    )
    token_max_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=max(settings.PAT_EXPIRY_CHOICES_DAYS),
        label="Maximum token lifetime (days)",
        help_text=f"Empty: Spark Portal's own limit, {max(settings.PAT_EXPIRY_CHOICES_DAYS)} days.",
    )
    daily_calls_per_person = forms.IntegerField(
        required=False, min_value=0, max_value=QUOTA_LIMIT, label="Tool calls per person per day"
    )
    daily_calls_per_organization = forms.IntegerField(
        required=False, min_value=0, max_value=QUOTA_LIMIT, label="Tool calls per day for the whole organization"
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class InvitedAccountForm(forms.Form):
    """The account an invitation creates: a name and a password (checked by the password validators)."""

    full_name = forms.CharField(max_length=150, required=False, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                validate_password(first, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
