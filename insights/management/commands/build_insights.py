from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import pluralize

from insights import store
from survey.catalog import DATASETS_BY_CODE


class Command(BaseCommand):
    help = (
        "Generate the respondent-level survey data for the catalog's datasets, deterministically from "
        "a seed, into SPARK_INSIGHTS_DIR. Each build is a new data version, published whole when complete: "
        "running servers switch to it on their next request and never mix two versions. The data is never "
        "committed; the run and test scripts call this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", action="append", help="Dataset code (default: all).")
        parser.add_argument("--respondents", type=int, help="Respondents per dataset (default: each dataset's own).")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Skip datasets that are already built (here, or in the shared data store: then they are pulled).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = options["dataset"] or list(DATASETS_BY_CODE)
        unknown = [c for c in codes if c not in DATASETS_BY_CODE]
        if unknown:
            raise CommandError(
                f"Unknown dataset{pluralize(len(unknown))}: {', '.join(unknown)}; known: {', '.join(DATASETS_BY_CODE)}"
            )
        if options["if_missing"]:
            store.sync()  # what another server built or imported is pulled, not built again
        for code in codes:
            if options["if_missing"] and store.is_built(code):
                self.stdout.write(f"{code}: already built (data version {store.current_version(code)})")
                continue
            started = time.perf_counter()
            data = store.build(code, options["respondents"], options["seed"])
            took = time.perf_counter() - started
            self.stdout.write(f"{code}: {data.n:,} respondents in {took:.1f}s, data version {data.version}")
