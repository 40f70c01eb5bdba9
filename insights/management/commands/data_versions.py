from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from insights import store
from survey import versions


class Command(BaseCommand):
    help = (
        "List each dataset's data versions (which one is current, which are waiting to be removed and "
        "why); with --prune, remove the retired ones past SPARK_DATA_GRACE_SECONDS that no process maps."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", help="Dataset code (default: all).")
        parser.add_argument("--prune", action="store_true", help="Remove the versions nothing needs any more.")

    def handle(self, *args: Any, **options: Any) -> None:
        for code in options["dataset"] or store.codes():
            if options["prune"]:
                for removed in store.prune(code):
                    self.stdout.write(f"{code}: removed {removed}")
            waiting = {version.id: reason for version, reason in versions.pending(store.folder(code), store.grace())}
            found = versions.listing(store.folder(code))
            if not found:
                self.stdout.write(f"{code}: not built")
            for version in found:
                state = "current" if version.current else f"retired, {waiting.get(version.id) or 'can be removed'}"
                self.stdout.write(f"{code}: {version.id} ({state})")
