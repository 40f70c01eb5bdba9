"""Email domains gain ownership proof (a DNS TXT record, or Spark's staff vouching); accounts remember
which organization's identity provider created them.

Existing domains start unverified: they were added with no proof, and a migration cannot tell an
organization's own domain from one it merely claimed. Staff can mark the ones they know in the
Django admin (audited); every other organization verifies from its Email domains page."""

import secrets

import django.db.models.deletion
from django.db import migrations, models

import accounts.models


def one_token_each(apps, schema_editor):
    # AddField gave every existing row the same default value: each domain needs its own secret.
    EmailDomain = apps.get_model("accounts", "EmailDomain")
    for domain in EmailDomain.objects.all():
        domain.verification_token = secrets.token_hex(16)
        domain.save(update_fields=["verification_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_organization_require_sso_mfa"),
    ]

    operations = [
        migrations.AddField(
            model_name="emaildomain",
            name="verification_token",
            field=models.CharField(default=accounts.models.new_verification_token, editable=False, max_length=64),
        ),
        migrations.RunPython(one_token_each, migrations.RunPython.noop),
        migrations.AddField(
            model_name="emaildomain",
            name="verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="emaildomain",
            name="verified_by",
            field=models.CharField(
                blank=True,
                choices=[("dns", "DNS TXT record"), ("staff", "Spark staff")],
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="provisioned_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The organization whose identity provider created the account (SCIM or single sign-on), "
                "which may take it back after removing it (accounts.claims).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
