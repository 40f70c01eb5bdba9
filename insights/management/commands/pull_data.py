from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from insights import store


class Command(BaseCommand):
    help = (
        "Pull the active data version of every dataset from the shared data store (SPARK_DATA_STORE) into "
        "this server's SPARK_INSIGHTS_DIR and switch to it once complete. Running servers do this by "
        "themselves (every SPARK_DATA_CHECK_SECONDS); run it on a new app server before it takes traffic."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        switched = store.sync()
        state = store.sync_state()
        for code, version in sorted(state.active.items()):
            if code in switched:
                self.stdout.write(f"{code}: pulled data version {version}")
            elif store.current_version(code) == version:
                self.stdout.write(f"{code}: data version {version} already here")
        if state.problem:
            raise CommandError(f"the shared data store {store.shared().describe()}: {state.detail or state.problem}")
        if not state.active:
            self.stdout.write(f"the shared data store {store.shared().describe()} has no data yet (run build_insights)")
