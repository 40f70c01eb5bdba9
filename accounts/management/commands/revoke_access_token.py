from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import tokens
from accounts.models import PersonalAccessToken
from accounts.services import token_revoke
from audit.actors import Actor


class Command(BaseCommand):
    help = (
        "Revoke a personal access token, given the whole token (e.g. one a secret scanner found) "
        "or its displayed prefix 'spk_XXXXXXXXXX'. It stops working on the very next request."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="The whole token, or its prefix as shown in the portal.")

    def handle(self, *args: Any, **options: Any) -> None:
        given = options["token"].strip().rstrip("…").rstrip(".")
        parsed = tokens.parse(given)
        if parsed is not None:
            token = PersonalAccessToken.objects.filter(prefix=parsed.prefix).first()
            if token is not None and not tokens.matches(given, token.digest):
                token = None
        elif given.startswith(tokens.MARKER) and len(given) == len(tokens.MARKER) + tokens.PREFIX_LEN:
            token = PersonalAccessToken.objects.filter(prefix=given[len(tokens.MARKER) :]).first()
        else:
            raise CommandError("Give the whole token or its prefix, e.g. spk_AbCdEf1234.")
        if token is None:
            raise CommandError("No such token.")
        already = token.revoked_at is not None
        token_revoke(token=token, actor=Actor.operator())
        state = "was already revoked" if already else "revoked"
        self.stdout.write(f"Token {token.display_prefix}… '{token.name}' of {token.user.email} {state}.")
