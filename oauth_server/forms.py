from __future__ import annotations

from django import forms

from oauth_server.platforms import redirect_policy_problem


class OrganizationClientForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Shown on the consent page, e.g. 'Copilot Studio – Sales'.")
    redirect_uri = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text="The redirect URL Copilot Studio shows for your connector "
        "(https://global.consent.azure-apim.net/redirect/…).",
    )

    def clean_redirect_uri(self) -> str:
        uri = self.cleaned_data["redirect_uri"]
        if problem := redirect_policy_problem([uri]):
            raise forms.ValidationError(problem)
        return uri
