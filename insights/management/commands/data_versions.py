from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from insights import store
from insights.services import removed_data_prune
from survey import versions


class Command(BaseCommand):
    help = (
        "List each dataset's data versions on this server and in the shared data store (which one is "
        "current, which are waiting to be removed and why); with --prune, remove the retired ones past "
        "SPARK_DATA_GRACE_SECONDS that no process here maps and SPARK_DATA_KEEP_VERSIONS does not keep, the "
        "shared store's that no server will pull, and the data of removed datasets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", help="Dataset code (default: all).")
        parser.add_argument("--prune", action="store_true", help="Remove the versions nothing needs any more.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["prune"] and not options["dataset"]:
            for removed in removed_data_prune():
                self.stdout.write(f"removed {removed}")
        for code in options["dataset"] or list(dict.fromkeys([*store.codes(), *store.shared_codes()])):
            if options["prune"]:
                for removed in store.prune(code):
                    self.stdout.write(f"{code}: removed {removed}")
                for removed in store.prune_shared(code):
                    self.stdout.write(f"{code}: removed {removed} from the shared store")
            self._local(code)
            self._shared(code)

    def _local(self, code: str) -> None:
        waiting = {version.id: reason for version, reason in store.pending(code)}
        found = versions.listing(store.folder(code))
        if not found:
            self.stdout.write(f"{code}: not built")
        for version in found:
            state = "current" if version.current else f"retired, {waiting.get(version.id) or 'can be removed'}"
            self.stdout.write(f"{code}: {version.id} ({state})")

    def _shared(self, code: str) -> None:
        hub = store.shared()
        active = hub.current(code)
        if active is not None:
            self.stdout.write(f"{code}: {active.version} (active in the shared store)")
        for stored in store.pending_shared(code):
            self.stdout.write(f"{code}: {stored.id} (in the shared store, {stored.why_kept or 'can be removed'})")
