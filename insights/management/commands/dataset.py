"""A dataset's lifecycle from the command line: list, retire, restore, remove (docs/datasets.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from catalog.models import Dataset
from insights import services, store
from survey import versions


class Command(BaseCommand):
    help = (
        "List the datasets (visibility, state, organizations holding each, data versions, size), retire one "
        "(no longer offered; insights stated from it still open), restore a retired one, or remove one for "
        "good with its data here and in the shared data store. Every change is in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="Every dataset with its state, organizations, data versions and size.")
        for name, words in (
            ("retire", "Stop offering it: no tool, discovery document or new grant names it; reversible."),
            ("restore", "Offer a retired dataset again to the organizations that hold it."),
        ):
            actions.add_parser(name, help=words).add_argument("code")
        remove = actions.add_parser("remove", help="Remove it for good: its row, saved audiences and data.")
        remove.add_argument("code")
        remove.add_argument(
            "--take-from-organizations",
            action="store_true",
            help="Take it from the organizations that hold it first (refused without this while any does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action, code = options["action"], options.get("code", "")
        if action == "list":
            return self._list()
        if action == "remove":
            return self._remove(code, options["take_from_organizations"])
        dataset = Dataset.objects.filter(code=code).first()
        if dataset is None:
            raise CommandError(f"no dataset {code} (dataset list shows them)")
        change = services.dataset_retire if action == "retire" else services.dataset_restore
        if change(dataset=dataset, actor=None):
            self.stdout.write(
                f"{code}: {'retired (no longer offered)' if action == 'retire' else 'restored (offered again)'}"
            )
        else:
            self.stdout.write(f"{code}: already {'retired' if action == 'retire' else 'active'}; nothing changed")

    def _list(self) -> None:
        rows = Dataset.objects.annotate(held=Count("organizations")).order_by("code")
        known = set()
        for dataset in rows:
            known.add(dataset.code)
            holders = ", ".join(dataset.organizations.order_by("slug").values_list("slug", flat=True))
            self.stdout.write(
                f"{dataset.code}  {dataset.name}  {dataset.visibility}  {dataset.state}  "
                f"organizations: {dataset.held}{f' ({holders})' if holders else ''}  {_data(dataset.code)}"
            )
        for code in [*store.codes(), *store.shared_codes()]:
            if code not in known:
                known.add(code)
                self.stdout.write(
                    f"{code}  (not in the database: data left behind; retention removes it)  {_data(code)}"
                )

    def _remove(self, code: str, take: bool) -> None:
        try:
            removed = services.dataset_remove(code=code, take_from_organizations=take, actor=None)
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from None
        for slug in removed.taken_from:
            self.stdout.write(f"{code}: taken from {slug}")
        if removed.saved_audiences:
            self.stdout.write(f"{code}: {removed.saved_audiences} saved audience(s) removed with it")
        if removed.problem:
            raise CommandError(
                f"{code} is removed, but its data could not be removed from the shared data store "
                f"({removed.problem}); run this again once it can be reached"
            )
        self.stdout.write(
            f"{code}: removed, with {len(removed.versions)} data version(s) here and "
            f"{len(removed.shared_versions)} in the shared data store (other servers remove theirs at their "
            "next enforce_retention)"
        )


def _data(code: str) -> str:
    """A dataset's data versions here (which is current), in the shared store, and their size here."""
    found = versions.listing(store.folder(code))
    current = store.current_version(code)
    shared = store.shared().version_ids(code)
    size = versions.bytes_on_disk(store.folder(code))
    return (
        f"versions here: {len(found)}{f' (current {current})' if current else ''}  "
        f"in the shared store: {len(shared)}  size here: {_size(size)}"
    )


def _size(size: int) -> str:
    return (
        f"{size / 1e9:,.2f} GB" if size >= 1e9 else f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"
    )
