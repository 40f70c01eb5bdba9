"""Delete what is older than the retention settings, and survey data versions nothing needs.

Run daily (deploy/spark-portal-retention.timer). Each kind of record is deleted by the service of
the app that owns it, in batches that commit one by one, so a large table is never loaded into
memory nor locked in one long transaction. A second run finds nothing more to delete. Every real
run leaves an audit event with what it deleted; `--dry-run` counts and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Organization
from audit.actions import Action
from audit.services import audit_events_prune, audit_record
from insights import store
from insights.services import chats_prune, removed_data_prune
from usage.services import usage_days_prune


class Command(BaseCommand):
    help = (
        "Delete audit events, chats (with their insights) and usage rows older than "
        "SPARK_RETAIN_AUDIT_DAYS, SPARK_RETAIN_CHATS_DAYS and SPARK_RETAIN_USAGE_DAYS (0 keeps forever), "
        "and remove retired survey data versions nothing maps, here and in the shared data store (as "
        "data_versions --prune)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows deleted per statement (default 1000).")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        batch: int = options["batch_size"]
        if batch < 1:
            raise CommandError("--batch-size must be at least 1.")
        now = timezone.now()
        counts: dict[str, int] = {}
        windows = {
            "audit": settings.SPARK_RETAIN_AUDIT_DAYS,
            "chats": settings.SPARK_RETAIN_CHATS_DAYS,
            "usage": settings.SPARK_RETAIN_USAGE_DAYS,
        }
        own = _audit_retention_policies(now)
        if windows["audit"] or own:
            before = now - dt.timedelta(days=windows["audit"]) if windows["audit"] else None
            counts["audit_events"] = audit_events_prune(
                older_than=before, dry_run=dry_run, batch_size=batch, per_organization=own
            )
        if windows["chats"]:
            before = now - dt.timedelta(days=windows["chats"])
            pruned = chats_prune(older_than=before, dry_run=dry_run, batch_size=batch)
            counts["chats"], counts["insights"] = pruned.chats, pruned.insights
        if windows["usage"]:
            first_kept = now.date() - dt.timedelta(days=windows["usage"])
            counts["usage_days"] = usage_days_prune(older_than=first_kept, dry_run=dry_run, batch_size=batch)
        removed = _data_versions(dry_run=dry_run)
        self._report(windows, counts, removed, dry_run=dry_run)
        if not dry_run:
            _record(windows, counts, removed)

    def _report(self, windows: dict[str, int], counts: dict[str, int], removed: list[str], *, dry_run: bool) -> None:
        verb = "would delete" if dry_run else "deleted"
        labels = {"audit_events": "audit", "chats": "chats", "insights": "chats", "usage_days": "usage"}
        for kind, label in labels.items():
            if kind in counts:
                days = windows[label]
                when = f"older than {days} days" if days else "past organizations' own retention only"
                self.stdout.write(f"{kind.replace('_', ' ')}: {verb} {counts[kind]} ({when})")
            else:
                self.stdout.write(f"{kind.replace('_', ' ')}: kept forever (retention 0)")
        self.stdout.write(f"data versions: {verb} {len(removed)}{': ' if removed else ''}{', '.join(removed)}")


def _audit_retention_policies(now: dt.datetime) -> dict[int, dt.datetime]:
    """The organizations whose audit retention policy replaces SPARK_RETAIN_AUDIT_DAYS for their own
    events, each with the time before which its events go."""
    kept = Organization.objects.filter(audit_retention_days__isnull=False).values_list("pk", "audit_retention_days")
    return {pk: now - dt.timedelta(days=days) for pk, days in kept if days}


def _data_versions(*, dry_run: bool) -> list[str]:
    """The data of removed datasets, the retired data versions past the grace period that no process
    here maps and SPARK_DATA_KEEP_VERSIONS does not keep, and the shared store's that no server will
    pull ("<dataset>/<version>", "… (shared store)"), removed unless `dry_run` (the same rules as
    `manage.py data_versions --prune`)."""
    found = removed_data_prune(dry_run=dry_run)  # datasets removed while this host was away
    for code in dict.fromkeys([*store.codes(), *store.shared_codes()]):
        if dry_run:
            ready = [v.id for v, reason in store.pending(code) if not reason]
            gone = [v.id for v in store.pending_shared(code) if not v.why_kept]
        else:
            ready, gone = store.prune(code), store.prune_shared(code)
        found += [f"{code}/{version}" for version in ready]
        found += [f"{code}/{version} (shared store)" for version in gone]
    return found


def _record(windows: dict[str, int], counts: dict[str, int], removed: list[str]) -> None:
    summary = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items())
    audit_record(
        action=Action.RETENTION_ENFORCED,
        summary=f"Retention deleted {summary or 'nothing (every retention is 0)'}; {len(removed)} data versions",
        detail={"retention_days": windows, "deleted": counts, "data_versions": removed},
    )
