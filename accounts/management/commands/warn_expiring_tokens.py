"""Email the owners of personal access tokens that expire soon: one email per token, once.

Run it daily (cron or a systemd timer: see docs/operations.md). A token is warned about when it is
still usable and expires within `accounts.selectors.EXPIRY_WARNING` (7 days); rotating the token
renews it and makes it eligible for a warning again. No secret is ever in the email.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import pluralize

from accounts.selectors import EXPIRY_WARNING, tokens_to_warn
from accounts.services import token_expiry_warn


class Command(BaseCommand):
    help = (
        f"Email each owner of a token that expires within {EXPIRY_WARNING.days} days and was not warned "
        "about yet (one email per token). Run it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List the tokens that would be warned about; send nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = failed = 0
        for token in tokens_to_warn():
            what = f"{token.display_prefix}… '{token.name}' of {token.user.email} (expires {token.expires_at:%Y-%m-%d})"
            if options["dry_run"]:
                self.stdout.write(f"would warn: {what}")
                continue
            try:
                if token_expiry_warn(token=token):
                    sent += 1
                    self.stdout.write(f"warned: {what}")
            except Exception as exc:  # one failed email must not stop the others; the next run retries it
                failed += 1
                self.stderr.write(f"not sent ({type(exc).__name__}: {exc}): {what}")
        if not options["dry_run"]:
            self.stdout.write(f"{sent} expiry warning{pluralize(sent)} sent, {failed} failed.")
        if failed:
            raise CommandError(
                f"{failed} expiry warning{pluralize(failed)} could not be sent; the next run tries them again."
            )
