"""Forms: the console's connection forms, and the password reset form that refuses SSO domains."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from django import forms
from django.core.exceptions import ValidationError

from accounts.adapters import sso_required_message, sso_required_organization
from accounts.models import User
from identity.sealing import MAX_SECRET_LENGTH


class ResetPasswordForm(AllauthResetPasswordForm):
    """allauth's reset form, refusing addresses whose organization requires single sign-on."""

    def clean_email(self) -> str:
        email = str(self.data.get("email", "")).strip()
        if organization := sso_required_organization(email):
            raise ValidationError(sso_required_message(organization, email))
        cleaned = str(super().clean_email())
        # The link goes to the account whose sign-in address this is, never to one that merely has an
        # allauth EmailAddress row for it (such rows can hold addresses nobody proved).
        self.users = list(User.objects.filter(email__iexact=cleaned.strip(), is_active=True))
        return cleaned


class OidcConnectionForm(forms.Form):
    name = forms.CharField(max_length=40, help_text="People see it when they sign in, e.g. “Acme Okta”.")
    issuer = forms.URLField(
        assume_scheme="https",
        max_length=500,
        label="Issuer URL",
        help_text="e.g. https://acme.okta.com, https://login.microsoftonline.com/<tenant-id>/v2.0 or "
        "https://accounts.google.com. Spark Portal reads its discovery document.",
    )
    client_id = forms.CharField(max_length=191, label="Client ID")
    client_secret = forms.CharField(
        max_length=MAX_SECRET_LENGTH,
        label="Client secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown again.",
    )

    def __init__(self, *args: object, secret_required: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["client_secret"].required = secret_required
        if not secret_required:
            self.fields["client_secret"].help_text = "Leave empty to keep the stored secret (it is never shown)."


class SamlConnectionForm(forms.Form):
    name = forms.CharField(max_length=40, help_text="People see it when they sign in, e.g. “Acme Entra ID”.")
    metadata_url = forms.URLField(
        assume_scheme="https",
        max_length=500,
        required=False,
        label="IdP metadata URL",
        help_text="Spark Portal reads it once, now.",
    )
    metadata_xml = forms.CharField(
        required=False,
        label="…or the IdP metadata XML",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=512 * 1024,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("metadata_url")) == bool(str(data.get("metadata_xml") or "").strip()):
            raise ValidationError("Give either the IdP metadata URL or the metadata XML (one of them).")
        return data
