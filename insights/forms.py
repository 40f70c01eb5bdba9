from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import Organization
from catalog.models import Dataset
from insights import store
from insights.services import audience_expression_check
from spark_portal.untrusted import JsonRefused, parse_json
from survey.expressions import conjunction

EXPRESSION_BYTES = 16_384


class SavedAudienceForm(forms.Form):
    """Build an audience from a few terms (all must hold), or paste an expression."""

    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), empty_label=None)
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=500, required=False)
    predefined = forms.ChoiceField(required=False, label="Start from")
    age_min = forms.IntegerField(required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(required=False, min_value=0, max_value=120)
    gender = forms.ChoiceField(required=False, choices=[("", "Any"), ("female", "Women"), ("male", "Men")])
    datapoint = forms.ChoiceField(required=False, label="Who answered")
    expression = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text='Advanced: a JSON expression, e.g. {"and": [{"audience": "gen_z"}, '
                                 '{"datapoint": "interests.gaming"}]}. Used instead of the fields above.')  # fmt: skip

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = organization.datasets.offered()  # no new audience on a retired dataset
        cast(forms.ModelChoiceField, self.fields["dataset"]).queryset = offered
        found = (store.spec(c) for c in offered.values_list("code", flat=True))
        specs = [spec for spec in found if spec is not None]
        predefined = sorted({(a.id, a.name) for spec in specs for a in spec.audiences}, key=lambda c: c[1])
        cast(forms.ChoiceField, self.fields["predefined"]).choices = [("", "Everyone"), *predefined]
        cast(forms.ChoiceField, self.fields["datapoint"]).choices = [("", "Anything")] + [
            (f"{q.code}.{dp.code}", f"{q.name}: {dp.name}")
            for spec in specs
            for q in spec.questions
            for dp in q.datapoints
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        dataset = data.get("dataset")
        if dataset is None:
            return data
        if data.get("expression"):
            try:
                expression = parse_json(data["expression"], max_bytes=EXPRESSION_BYTES)
            except JsonRefused as refused:
                raise forms.ValidationError(f"The expression is not valid JSON: {refused.reason}.") from None
        else:
            age = None
            if data.get("age_min") is not None or data.get("age_max") is not None:
                age = {"age": [data.get("age_min") or 0, data.get("age_max") or 120]}
            expression = conjunction(
                {"audience": data["predefined"]} if data.get("predefined") else None,
                age,
                {"gender": data["gender"]} if data.get("gender") else None,
                {"datapoint": data["datapoint"]} if data.get("datapoint") else None,
            )
        if expression is None:
            raise forms.ValidationError("Choose at least one condition, or paste an expression.")
        audience_expression_check(dataset, expression)  # its ValidationError is the form's
        data["built_expression"] = expression
        return data
