from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Membership, User
from accounts.scopes import organization_scopes
from accounts.selectors import token_datasets
from accounts.services import token_create


class Command(BaseCommand):
    help = (
        "Create a personal access token for a user and print it on the last line of output. "
        "The token gets every scope the user's organization may grant unless --scope is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The token owner's email address.")
        parser.add_argument("--name", required=True, help="A name for the token, e.g. 'nightly export'.")
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            choices=settings.PAT_EXPIRY_CHOICES_DAYS,
            help="Lifetime in days.",
        )
        parser.add_argument("--org", help="Organization slug (required if the user belongs to several).")
        parser.add_argument("--scope", action="append", help="A scope to grant; repeat for several.")
        parser.add_argument(
            "--all-datasets",
            action="store_true",
            help="Every dataset the organization has, including ones added later, whatever dataset scopes are "
            "given (without it: the same when the scopes name no dataset or all of the organization's, else "
            "only the datasets named).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}.")
        memberships = Membership.objects.filter(user=user).select_related("organization")
        if options["org"]:
            memberships = memberships.filter(organization__slug=options["org"])
        orgs = [m.organization for m in memberships]
        if not orgs:
            raise CommandError(f"{user.email} is not a member of {options['org'] or 'any organization'}.")
        if len(orgs) > 1:
            raise CommandError(
                f"{user.email} belongs to several organizations; pass --org with one of: "
                + ", ".join(o.slug for o in orgs)
            )
        org = orgs[0]
        scopes = options["scope"] or list(organization_scopes(org))
        try:
            issued = token_create(
                user=user,
                organization=org,
                name=options["name"],
                days=options["days"],
                scopes=scopes,
                all_datasets=True if options["all_datasets"] else None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        token = issued.token
        self.stdout.write(
            f"Created token {token.display_prefix}… '{token.name}' for {user.email} in {org.name}, "
            f"expires {token.expires_at:%Y-%m-%d}, scopes {' '.join(token.scopes)}; datasets: "
            f"{token_datasets(token).describe(org.name)} "
            "It is printed once, below."
        )
        self.stdout.write(issued.secret)
