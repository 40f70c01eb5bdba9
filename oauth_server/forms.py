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


class AssistantPoliciesForm(forms.Form):
    """An organization's assistant policies (the console's Assistant policies page; the rules are
    `oauth_server.assistant_policies`, which bounds the lifetimes by the server's)."""

    approval_required = forms.BooleanField(required=False, label="An admin approves each new assistant")
    allowed_clients = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Approved without asking",
        help_text="Client IDs, or hosts of client ID metadata documents (e.g. claude.ai); one per line.",
    )
    access_token_minutes = forms.IntegerField(required=False, min_value=1, label="Access token lifetime (minutes)")
    refresh_token_hours = forms.IntegerField(
        required=False, min_value=1, label="Refresh token lifetime when unused (hours)"
    )
    reconsent_days = forms.IntegerField(required=False, min_value=1, label="Sign in and allow again every (days)")

    def allowed(self) -> tuple[str, ...]:
        text = self.cleaned_data.get("allowed_clients") or ""
        return tuple(line.strip() for line in text.splitlines() if line.strip())


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
