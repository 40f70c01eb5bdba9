from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.services import demo_seed


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo: organization Acme Research with the enabled domain "
        "acme.example, an admin and a member, every assistant connector published, a second "
        "organization Globex (no connector published), and the dataset catalog. Safe to run "
        "repeatedly; passwords are reset to the ones printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Password for every demo user (default: a new random one).")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or secrets.token_urlsafe(12)
        demo = demo_seed(password=password)
        for user in demo.users:
            self.stdout.write(f"demo user: {user.email}  password: {password}")
        counts = f"{len(demo.organizations)} organizations, {len(demo.users)} users, {len(demo.datasets)} datasets"
        self.stdout.write(f"Seeded {counts}.")
