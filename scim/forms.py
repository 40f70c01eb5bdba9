from __future__ import annotations

from django import forms


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Which identity provider will use it, e.g. “Okta” or “Entra ID provisioning”."
    )
