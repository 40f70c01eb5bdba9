"""One product name (issue 25): what people read says "Spark Portal", never "Spark" alone or "Spark MCP".

Pages and emails (templates), every string of the application's code (refusals, flashes, API help,
emails, the MCP server's own name), the README and docs/ are read; the organization's status is its
"MCP access". Code identifiers are not words people read, so only text is checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = re.compile(r"\bSpark\b(?! Portal)(?!-)")
APPS = [
    p
    for p in ROOT.iterdir()
    if p.is_dir() and ((p / "apps.py").exists() or p.name in ("survey", "spark_portal", "bench"))
]


def _python_text(path: Path) -> list[str]:
    """Every string constant of a module (docstrings too: they are the code's documentation)."""
    tree = ast.parse(path.read_text())
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _texts() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            found[str(path.relative_to(ROOT))] = [path.read_text()]
    for app in APPS:
        for path in sorted(app.rglob("*.py")):
            if "migrations" not in path.parts:
                found[str(path.relative_to(ROOT))] = _python_text(path)
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found[str(path.relative_to(ROOT))] = [path.read_text()]
    return found


def test_people_read_one_product_name() -> None:
    bare = {
        name: sorted({m.group(0) + text[m.end() : m.end() + 20] for text in texts for m in BARE.finditer(text)})
        for name, texts in _texts().items()
    }
    assert {name: hits for name, hits in bare.items() if hits} == {}


def test_the_check_reads_what_people_read() -> None:
    texts = _texts()
    assert "templates/base.html" in texts and "accounts/refusals.py" in texts and "docs/policies.md" in texts
    assert any("Spark Portal" in text for text in texts["accounts/refusals.py"])
