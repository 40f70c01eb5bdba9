"""docs/configuration.md names every environment variable Spark Portal reads, and nothing else.

The names read are taken from the source, not from a list kept here:

- Python (the settings and every other module outside tests, benchmarks and docs/examples): the
  first argument of the settings' `env_*` helpers, of `os.environ.get`/`setdefault`/`pop` and
  `os.getenv`, an `os.environ["NAME"]` read and a `"NAME" in os.environ` test. A name given by a
  variable is resolved when the variable loops over literal names (`for name in ("A", "B")`);
  any other read whose name the source does not spell out fails the test, so a new kind of read
  cannot slip past it.
- The shell scripts an operator runs (`scripts/*.sh`, `deploy/*.sh`): every `${NAME:-…}`,
  `${NAME:+…}`, `${NAME:?…}` (with or without the colon), that is, a variable the script takes
  from its environment with a default, an alternative or an error.

The names documented are the first cells of the page's tables whose first column is headed
`variable`, each written in full in backticks. Both directions fail: a variable read and not
documented, and one documented that nothing reads any more.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "configuration.md"
# The settings' helpers (the settings and their settings_*.py groups read through them).
ENV_HELPERS = ROOT / "spark_portal" / "env.py"
# Not the application: its tests, benchmarks, the API example script (it reads SPARK_TOKEN, the
# reader's token), installed packages and generated files.
NOT_APPLICATION = {"tests", "bench", "docs", "tools", "var", "staticfiles", "test-artifacts", "node_modules"}
SHELL_SCRIPTS = ("scripts/*.sh", "deploy/*.sh")
ENVIRON_METHODS = {"get", "setdefault", "pop"}
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?[-+?]")


def _env_helpers() -> set[str]:
    """The settings' helpers that read one variable each (`env_str`, `env_int`, …)."""
    tree = ast.parse(ENV_HELPERS.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("env_")}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _environ_names(tree: ast.AST) -> set[str]:
    """How the module spells os.environ: `os.environ`, and `environ` only after `from os import environ`
    (a WSGI hook's `environ` argument is the request, not the process's environment)."""
    names = {"os.environ"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            names.update(alias.asname or alias.name for alias in node.names if alias.name == "environ")
    return names


def _loop_names(tree: ast.AST) -> dict[str, list[str]]:
    """`for NAME in ("A", "B")`: the literal names NAME takes."""
    loops: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            items = node.iter.elts if isinstance(node.iter, ast.Tuple | ast.List) else []
            values = [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]
            if values and len(values) == len(items):
                loops.setdefault(node.target.id, []).extend(values)
    return loops


def _read_argument(node: ast.AST, helpers: set[str], environ: set[str]) -> ast.AST | None:
    """The expression naming the variable, when `node` reads one from the environment."""
    if isinstance(node, ast.Call) and node.args:
        function = node.func
        if isinstance(function, ast.Name) and function.id in helpers:
            return node.args[0]
        if _dotted(function) == "os.getenv":
            return node.args[0]
        if (
            isinstance(function, ast.Attribute)
            and function.attr in ENVIRON_METHODS
            and _dotted(function.value) in environ
        ):
            return node.args[0]
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _dotted(node.value) in environ:
        return node.slice
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
        return node.left if _dotted(node.comparators[0]) in environ else None
    return None


def _helper_bodies(tree: ast.AST, helpers: set[str]) -> set[int]:
    """Nodes inside the helpers' own definitions (they read the variable their caller names)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in helpers:
            inside.update(id(child) for child in ast.walk(node))
    return inside


def _python_reads(path: Path, helpers: set[str]) -> Iterator[tuple[str, str]]:
    """(name, where) for each read; name is "" when the source does not say which variable."""
    tree = ast.parse(path.read_text(), filename=str(path))
    loops = _loop_names(tree)
    skip = _helper_bodies(tree, helpers)
    environ = _environ_names(tree)
    for node in ast.walk(tree):
        argument = None if id(node) in skip else _read_argument(node, helpers, environ)
        if argument is None:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            yield argument.value, where
        elif isinstance(argument, ast.Name) and argument.id in loops:
            yield from ((name, where) for name in loops[argument.id])
        else:
            yield "", where


def _python_files() -> Iterator[Path]:
    for child in sorted(ROOT.iterdir()):
        if child.name.startswith(".") or child.name in NOT_APPLICATION:
            continue
        if child.suffix == ".py":
            yield child
        elif child.is_dir():
            yield from sorted(child.rglob("*.py"))


def read_by_spark() -> tuple[dict[str, set[str]], list[str]]:
    """Every variable the application and its scripts read, with where; and the reads not understood."""
    helpers = _env_helpers()
    reads: dict[str, set[str]] = {}
    unknown: list[str] = []
    for path in _python_files():
        for name, where in _python_reads(path, helpers):
            if name:
                reads.setdefault(name, set()).add(where)
            else:
                unknown.append(where)
    for pattern in SHELL_SCRIPTS:
        for path in sorted(ROOT.glob(pattern)):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if line.lstrip().startswith("#"):
                    continue
                for name in SHELL_READ.findall(line):
                    reads.setdefault(name, set()).add(f"{path.relative_to(ROOT)}:{number}")
    return reads, unknown


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented() -> dict[str, int]:
    """Each variable in the page's `variable` tables, with its line; a name written twice fails."""
    names: dict[str, int] = {}
    lines = PAGE.read_text().splitlines()
    in_table = header = False
    for number, line in enumerate(lines, start=1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = _cells(line)
        if not in_table:
            in_table = True
            header = cells[0] == "variable"
            continue
        if not header or set(cells[0]) <= {"-", ":"}:
            continue
        spans = re.findall(r"`([^`]*)`", cells[0])
        assert spans, f"docs/configuration.md:{number}: the first cell names no variable in backticks"
        assert len(cells) >= 3 and all(cells[:3]), f"docs/configuration.md:{number}: name, default and meaning"
        for span in spans:
            assert NAME.match(span), f"docs/configuration.md:{number}: `{span}` is not a variable written in full"
            assert span not in names, f"docs/configuration.md:{number}: {span} is documented twice"
            names[span] = number
    return names


def test_every_read_names_its_variable() -> None:
    _, unknown = read_by_spark()
    assert not unknown, f"environment reads whose variable the source does not spell out: {unknown}"


def test_the_scan_finds_the_settings() -> None:
    """The scan itself works: it sees the settings' helpers, a direct read and a shell default."""
    reads, _ = read_by_spark()
    assert {"env_str", "env_bool", "env_int", "env_float", "env_list"} <= _env_helpers()
    assert "spark_portal/settings.py" in " ".join(reads["SECRET_KEY"])
    assert "spark_portal/settings_data.py" in " ".join(reads["SPARK_RETAIN_AUDIT_DAYS"])  # a group of its own
    assert "ops/gunicorn_hooks.py" in " ".join(reads["PROMETHEUS_MULTIPROC_DIR"])
    assert "OPENBLAS_NUM_THREADS" in reads  # the loop in spark_portal/__init__.py
    assert "scripts/run.sh" in " ".join(reads["HOST"])


def test_every_variable_read_is_documented() -> None:
    reads, _ = read_by_spark()
    missing = {name: sorted(where) for name, where in reads.items() if name not in documented()}
    assert not missing, f"read but not in docs/configuration.md: {missing}"


def test_every_variable_documented_is_read() -> None:
    reads, _ = read_by_spark()
    stale = {name: f"docs/configuration.md:{line}" for name, line in documented().items() if name not in reads}
    assert not stale, f"documented but read nowhere any more: {stale}"
