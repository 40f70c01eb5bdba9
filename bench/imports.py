"""Import benchmark: a large survey file imported by `manage.py import_survey` (read in chunks,
survey/import_stream.py), side by side with the whole-file reader it replaced, in one run.

    .venv/bin/python bench/imports.py [--sizes 100000,1000000] [--old-up-to 100000] [--variables 300]

For each size it writes the same survey deterministically as an SPSS `.sav` file (pyreadstat) and
as a CSV file with its codebook into a temporary folder: an ID, a weight, age, gender (1 man, 2
woman), a country variable naming four markets, and single-choice questions coded 1-5 (every
seventh question has missing answers). Each import runs in a child process of its own against a
throwaway SQLite database and data folder, and is measured there: wall seconds, CPU seconds, peak
RSS (`os.wait4`'s rusage of that child; the files are written by another child, as a child's peak
counts the memory of the process it was forked from) and respondents a second. "streamed" is the command.
"before" is the import_survey command of another checkout (--before /work/main: the importer as it
was). "whole file" reads the file whole with this checkout's code (`survey.import_files.read_sav`/
`read_csv`, then `assemble` and `publish_import`, the reference the chunked reader is tested
against). Both run only up to --old-up-to respondents: their memory grows with the whole file.
Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's `insights` package, never bench/insights.py
MARKETS = ["United States", "United Kingdom", "Germany", "France"]
STRUCTURE = ["id", "weight", "age", "gender", "country"]


def write_files(folder: Path, n: int, variables: int, seed: int = 7) -> tuple[Path, Path, Path]:
    """The survey as survey.sav, survey.csv and survey.toml (the CSV's codebook)."""
    import numpy as np
    import pandas as pd
    import pyreadstat

    rng = np.random.default_rng(seed)
    questions = variables - len(STRUCTURE)
    ids = np.arange(1, n + 1)
    weight = rng.integers(200, 3000, n) / 1000
    age = rng.integers(16, 80, n)
    gender = rng.integers(1, 3, n)
    country = rng.integers(1, len(MARKETS) + 1, n)
    answers = rng.integers(1, 6, (n, questions), dtype=np.int8)
    missing = np.zeros((n, questions), dtype=bool)
    missing[:, ::7] = rng.random((n, len(range(0, questions, 7)))) < 0.2
    names = [f"q{j + 1:03d}" for j in range(questions)]
    frame = pd.DataFrame({"id": ids, "weight": weight, "age": age, "gender": gender, "country": country})
    coded = pd.DataFrame(np.where(missing, np.float32("nan"), answers.astype(np.float32)), columns=names)
    frame = pd.concat([frame, coded], axis=1)
    del coded
    labels: dict[str, dict[int | float, str]] = {
        name: {1: "Not at all", 2: "A little", 3: "Somewhat", 4: "Very", 5: "Extremely"} for name in names
    }
    labels["country"] = {i + 1: m for i, m in enumerate(MARKETS)}
    labels["gender"] = {1: "Man", 2: "Woman"}
    column_labels: list[str | None] = ["ID", "Weight", "Age", "Gender", "Country"]
    column_labels += [f"Question {j + 1}" for j in range(questions)]
    sav = folder / "survey.sav"
    pyreadstat.write_sav(frame, str(sav), column_labels=column_labels, variable_value_labels=labels)
    del frame
    csv = folder / "survey.csv"
    with csv.open("wb") as handle:
        handle.write((",".join(STRUCTURE + names) + "\n").encode())
        for start in range(0, n, 50_000):
            stop = min(n, start + 50_000)
            cells = np.full((stop - start, 2 * questions), ord(","), dtype=np.uint8)
            cells[:, 0::2] = np.where(missing[start:stop], 0, answers[start:stop] + ord("0"))
            cells[:, -1] = ord("\n")
            for row, line in enumerate(cells):
                i = start + row
                head = f"{ids[i]},{weight[i]:.3f},{age[i]},{gender[i]},{MARKETS[country[i] - 1]},"
                handle.write(head.encode() + line[line != 0].tobytes())
    codebook = folder / "survey.toml"
    entries = "".join(
        f'[[questions]]\ncolumn = "{name}"\nname = "Question {j + 1}"\n'
        'values = { 1 = "Not at all", 2 = "A little", 3 = "Somewhat", 4 = "Very", 5 = "Extremely" }\n\n'
        for j, name in enumerate(names)
    )
    codebook.write_text(
        'code = "ds-bench-csv"\nname = "Bench survey"\nwave = "2025"\nlocation_variable = "country"\n'
        'weight = "weight"\nage = "age"\ngender = "gender"\nfemale = 2\nid = "id"\n\n' + entries
    )
    return sav, csv, codebook


SAV_ARGS = ["--name", "Bench survey", "--wave", "2025", "--location-variable", "country", "--weight", "weight",
            "--age", "age", "--gender", "gender", "--female", "2", "--id", "id"]  # fmt: skip


def child(how: str, path: Path, code: str) -> None:
    """In the measured child: import `path` as dataset `code`, the command's way or the old one."""
    import django

    django.setup()
    from django.core.management import call_command

    csv = path.suffix == ".csv"
    args = ["--codebook", str(path.with_suffix(".toml")), "--code", code] if csv else ["--code", code, *SAV_ARGS]
    if how == "streamed":
        call_command("import_survey", str(path), *args, stdout=open(os.devnull, "w"))  # noqa: SIM115
        return
    from dataclasses import replace

    from insights import store
    from insights.management.commands.import_survey import _structure
    from survey.import_files import read_csv, read_sav
    from survey.importer import assemble

    if csv:
        structure, source = read_csv(path, path.with_suffix(".toml"))
        structure = replace(structure, code=code)
    else:
        structure = _structure(
            {"code": code, "name": "Bench survey", "wave": "2025", "description": "", "location": "",
             "location_variable": "country", "weight": "weight", "age": "age", "gender": "gender", "female": 2.0,
             "male": None, "population": None, "universe": "", "id": "id", "allow_duplicate_rows": False}
        )  # fmt: skip
        source = read_sav(path, structure)
    store.publish_import(assemble(source, structure))


def measure(
    env: dict[str, str], how: str, path: Path, code: str, before: Path | None = None
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one import in a child process (`before`: the
    import_survey command of another checkout, e.g. the main branch's whole-file importer)."""
    started = time.perf_counter()
    if before is None:
        command = [sys.executable, __file__, "--child", how, str(path), code]
    else:
        csv = path.suffix == ".csv"
        args = ["--codebook", str(path.with_suffix(".toml"))] if csv else ["--code", code, *SAV_ARGS]
        command = [sys.executable, "manage.py", "import_survey", str(path), *args, "-v", "0"]
        env = dict(env, PYTHONPATH=str(before))
    proc = subprocess.Popen(command, env=env, cwd=before or ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{how} import of {path.name} failed ({status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--variables", type=int, default=300)
    parser.add_argument("--old-up-to", type=int, default=100_000)
    parser.add_argument(
        "--before", type=Path, help="a checkout whose import_survey is measured too (up to --old-up-to)"
    )
    parser.add_argument("--child", nargs=3, metavar=("HOW", "FILE", "CODE"))
    parser.add_argument("--write", nargs=2, metavar=("FOLDER", "RESPONDENTS"))
    options = parser.parse_args()
    if options.child:
        how, path, code = options.child
        return child(how, Path(path), code)
    if options.write:
        write_files(Path(options.write[0]), int(options.write[1]), options.variables)
        return None
    tmp = Path(tempfile.mkdtemp(prefix="spark-import-bench-"))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="spark_portal.settings",
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        SPARK_INSIGHTS_DIR=str(tmp / "data"),
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), {os.cpu_count()} cores")
        print(f"{'file':<6} {'respondents':>11} {'MB':>7} {'path':<10} {'wall s':>7} {'CPU s':>7} "
              f"{'peak RSS MB':>11} {'resp/s':>9}")  # fmt: skip
        for n in [int(s) for s in options.sizes.split(",")]:
            folder = tmp / f"n{n}"
            folder.mkdir()
            started = time.perf_counter()
            # Written by a child: a child's peak RSS counts what it was forked from, so this process stays small.
            write = [sys.executable, __file__, "--write", str(folder), str(n), "--variables", str(options.variables)]
            subprocess.run(write, check=True, cwd=ROOT)
            files = (folder / "survey.sav", folder / "survey.csv")
            print(f"(wrote {n:,} x {options.variables} in {time.perf_counter() - started:.0f} s)", flush=True)
            for path in files[:2]:
                hows = ["whole file", "streamed"] if n <= options.old_up_to else ["streamed"]
                if options.before and n <= options.old_up_to:
                    hows.insert(0, "before")
                for how in hows:
                    code = f"ds-b-{path.suffix[1:]}-{n}-{how.split()[0]}"
                    before = options.before if how == "before" else None
                    wall, cpu, rss = measure(env, how.split()[0], path, code, before)
                    size = path.stat().st_size / 1e6
                    print(f"{path.suffix[1:]:<6} {n:>11,} {size:>7.0f} {how:<10} {wall:>7.1f} {cpu:>7.1f} "
                          f"{rss:>11.0f} {n / wall:>9,.0f}", flush=True)  # fmt: skip
            shutil.rmtree(folder)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
