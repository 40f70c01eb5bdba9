"""Personal access tokens may follow their organization's datasets (`all_datasets`).

Existing tokens, by the rule new ones follow (a token that names no dataset in particular follows
the organization): a token that holds `insights:read` and either no dataset scope or every dataset
its organization had when the token was created follows the organization from now on (its dataset
scopes, now implied, are dropped); any other token stays narrowed to the dataset scopes it holds.
"Had when the token was created" is what the records tell: a dataset row created after the token,
or first given to the organization (an import's `dataset.assigned` audit event) after it, was not
there to choose. Going back, a following token gets its organization's current dataset scopes."""

from django.db import migrations, models
from django.db.models import Min

TOOLS, PREFIX = "insights:read", "dataset:"


def _had_at_creation(apps, token):  # type: ignore[no-untyped-def]
    events = apps.get_model("audit", "AuditEvent").objects.filter(
        organization_id=token.organization_id, action="dataset.assigned"
    )
    had = set()
    for dataset in token.organization.datasets.all():
        first_given = events.filter(detail__dataset=dataset.code).aggregate(first=Min("created_at"))["first"]
        if dataset.created_at <= token.created_at and (first_given is None or first_given <= token.created_at):
            had.add(dataset.code)
    return had


def follow_where_everything_was_chosen(apps, schema_editor):  # type: ignore[no-untyped-def]
    tokens = apps.get_model("accounts", "PersonalAccessToken").objects.select_related("organization")
    for token in tokens.iterator():
        if TOOLS not in token.scopes:
            continue
        held = {s[len(PREFIX) :] for s in token.scopes if s.startswith(PREFIX)}
        if not held or _had_at_creation(apps, token) <= held:
            token.all_datasets = True
            token.scopes = [s for s in token.scopes if not s.startswith(PREFIX)]
            token.save(update_fields=["all_datasets", "scopes"])


def scopes_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    tokens = apps.get_model("accounts", "PersonalAccessToken").objects.select_related("organization")
    for token in tokens.filter(all_datasets=True).iterator():
        codes = token.organization.datasets.values_list("code", flat=True)
        token.scopes = sorted({*token.scopes, *(PREFIX + c for c in codes)})
        token.save(update_fields=["scopes"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_email_domain_verification_and_provisioned_by"),
        ("audit", "0001_initial"),
        ("catalog", "0002_dataset_visibility"),
    ]

    operations = [
        migrations.AddField(
            model_name="personalaccesstoken",
            name="all_datasets",
            field=models.BooleanField(
                default=False,
                help_text="Uses every dataset its organization has, including ones given later (its dataset scopes "
                "are not consulted). Off: only the datasets its dataset scopes name, as chosen when it was created.",
            ),
        ),
        migrations.RunPython(follow_where_everything_was_chosen, scopes_back),
    ]
