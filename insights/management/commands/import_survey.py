from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.template.defaultfilters import pluralize

from accounts.models import Organization
from audit.actions import Action
from audit.services import audit_record
from catalog.models import Visibility
from catalog.services import dataset_register
from insights import store
from survey.catalog import DATASETS_BY_CODE
from survey.import_stream import import_csv, import_sav
from survey.importer import ImportProblem, Structure


class Command(BaseCommand):
    help = (
        "Import respondent-level survey data (an SPSS .sav file, or a CSV file with a codebook) as a new "
        "dataset, or as a new data version of a dataset imported before. Nothing is kept from a file "
        "that fails: the error names the variable and row. See docs/import.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .sav or .csv file.")
        parser.add_argument("--codebook", type=Path, help="CSV only: the codebook (TOML) that describes it.")
        parser.add_argument("--code", help="Dataset code, e.g. ds-anes-1996 (.sav: required).")
        parser.add_argument("--name", help="Dataset name shown to people (.sav: required).")
        parser.add_argument("--description", default="")
        parser.add_argument("--wave", help='The fieldwork period: "1996", "Q4 2025" (.sav: required).')
        parser.add_argument("--location", default="", help="The market of every respondent (code or name).")
        parser.add_argument("--location-variable", default="", help="A variable whose labels name markets.")
        parser.add_argument("--weight", default="", help="The weight variable (default: all weigh the same).")
        parser.add_argument("--age", default="", help="The age variable (in years).")
        parser.add_argument("--gender", default="", help="The gender variable.")
        parser.add_argument("--female", type=float, help="The gender variable's value for women.")
        parser.add_argument("--male", type=float, help="Its value for men (default: any other answer).")
        parser.add_argument(
            "--universe",
            default="",
            help='Who the survey represents, in its own words: "renters in Ohio aged 18+, 2019" (named in answers).',
        )
        parser.add_argument(
            "--population",
            type=float,
            help="Millions of people the survey represents (one market): the weights are scaled to it and answers "
            "state sizes. Without it, answers state shares, indexes and samples only.",
        )
        parser.add_argument("--id", default="", help="The respondent ID variable: every ID must be there and unique.")
        parser.add_argument(
            "--allow-duplicate-rows",
            action="store_true",
            help="Accept rows identical in every column (by default a repeated row is refused as a copy).",
        )
        parser.add_argument("--assign-to", action="append", default=[], help="Organization slug to give it to.")
        parser.add_argument(
            "--visibility",
            choices=[v.value for v in Visibility],
            help="private (a new import's default): only the organizations given it ever learn it exists; "
            "catalog: shared, named to anyone as a dataset their organization lacks. A new version keeps "
            "the dataset's visibility unless this changes it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:  # read in chunks (survey.import_stream): a file of any size, the same dataset as read whole
            if path.suffix.lower() == ".csv":
                if options["codebook"] is None:
                    raise CommandError("a CSV file needs --codebook (docs/import.md shows one)")
                structure, imported = import_csv(path, options["codebook"], partial(_csv_overrides, options=options))
            else:
                structure = _structure(options)
                _refuse_shipped(structure)
                imported = import_sav(path, structure)
            _refuse_shipped(structure)
        except ImportProblem as problem:
            raise CommandError(f"{path.name}: {problem}") from None
        organizations = list(Organization.objects.filter(slug__in=options["assign_to"]))
        if missing := sorted(set(options["assign_to"]) - {o.slug for o in organizations}):
            raise CommandError(f"no organization {', '.join(missing)}")
        data = store.publish_import(imported)
        with transaction.atomic():
            dataset = dataset_register(
                code=imported.spec.code,
                name=imported.spec.name,
                description=imported.spec.description,
                visibility=Visibility(options["visibility"]) if options["visibility"] else None,
            )
            for organization in organizations:
                organization.datasets.add(dataset)
                audit_record(
                    action=Action.DATASET_ASSIGNED,
                    summary=f"{dataset.code} imported and given to {organization.name}",
                    organization=organization,
                    detail={"dataset": dataset.code, "data_version": data.version},
                )
        spec = imported.spec
        datapoints = sum(len(q.datapoints) for q in spec.questions)
        self.stdout.write(
            f"{spec.code}: {data.n:,} respondents, {len(spec.questions)} questions, {datapoints} datapoints, "
            f"{len(spec.locations)} market{pluralize(len(spec.locations))}, data version {data.version}"
        )
        for skipped in imported.skipped:
            self.stdout.write(f"  left out: {skipped}")
        for organization in organizations:
            self.stdout.write(f"  given to {organization.slug}")
        self.stdout.write(f"  visibility: {dataset.get_visibility_display()}")
        self.stdout.write(f"  universe: {spec.universe}")
        if not spec.sized:
            self.stdout.write("  sizes: none stated (no --population): answers give shares, indexes and samples")


def _refuse_shipped(structure: Structure) -> None:
    if structure.code in DATASETS_BY_CODE:
        raise CommandError(f"{structure.code} is a dataset Spark Portal ships; choose another code")


def _structure(options: dict[str, Any]) -> Structure:
    for required in ("code", "name", "wave"):
        if not options[required]:
            raise CommandError(f"a .sav file needs --{required}")
    return Structure(
        code=options["code"],
        name=options["name"],
        description=options["description"],
        wave_name=options["wave"],
        location=options["location"],
        location_variable=options["location_variable"],
        weight=options["weight"],
        age=options["age"],
        gender=options["gender"],
        female=options["female"],
        male=options["male"],
        population_m=options["population"],
        universe=options["universe"],
        id=options["id"],
        allow_duplicate_rows=options["allow_duplicate_rows"],
    )


def _csv_overrides(structure: Structure, *, options: dict[str, Any]) -> Structure:
    """--id, --allow-duplicate-rows, --universe and --population work for a CSV file too (over its codebook's)."""
    return replace(
        structure,
        universe=options["universe"] or structure.universe,
        population_m=structure.population_m if options["population"] is None else options["population"],
        id=options["id"] or structure.id,
        allow_duplicate_rows=options["allow_duplicate_rows"] or structure.allow_duplicate_rows,
    )
