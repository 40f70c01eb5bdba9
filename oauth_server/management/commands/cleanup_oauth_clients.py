from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.template.defaultfilters import pluralize

from oauth_server.services import clients_cleanup


class Command(BaseCommand):
    help = (
        "Delete self-registered OAuth clients (dynamic registration or client ID metadata documents) "
        "older than --days that never obtained a token or a user's consent. Assistants register a "
        "fresh client on every connect, so abandoned ones pile up; run this daily (with cleartokens)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Minimum age in days (default 7).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = clients_cleanup(older_than=dt.timedelta(days=options["days"]))
        self.stdout.write(
            f"Deleted {count} unused self-registered client{pluralize(count)} older than {options['days']} days."
        )
