from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from scim.services import scim_token_create


class Command(BaseCommand):
    help = (
        "Create a SCIM token for an organization's identity provider and print it on the last line of output "
        "(it is shown once; Spark Portal keeps only a fingerprint)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--name", required=True, help="Which identity provider will use it, e.g. 'Okta'.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        try:
            issued = scim_token_create(organization=organization, name=options["name"], actor=None, origin=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        token = issued.token
        self.stdout.write(
            f"Created SCIM token {token.display_prefix}… '{token.name}' for {organization.name}. "
            "Give your identity provider the base URL <your Spark Portal URL>/scim/v2 and this token, printed "
            "once, below."
        )
        self.stdout.write(issued.secret)
