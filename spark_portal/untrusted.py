"""Reading what a stranger sends: JSON bodies within a size and a depth, text a database can store,
row IDs that fit a database integer.

One JSON parser serves every JSON entry point (the management API's DRF parser, SCIM, the MCP
endpoint, client registration, ID-JAG assertions, the console's audience expressions), so none of
them can be sent nesting that exhausts the interpreter's recursion (Python's parser gives up near
1,000 levels with a `RecursionError`, and what reads the value afterwards, from pydantic to
`json.dumps`, may give up sooner). The depth is measured on the text before anything is built.

Pure Python (no Django): every layer may import it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, NoReturn

MAX_DEPTH = 64
"""Arrays and objects inside one another. Real bodies nest a handful of levels (a SCIM PATCH of a
name: 5); 64 leaves room for any honest client and stays far below the interpreter's recursion."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
"""NUL (PostgreSQL's text and jsonb cannot hold it) and lone surrogates (no UTF-8 encoding exists,
so no database, log or response can take them). JSON's `\\u0000` and `\\ud800` escapes make both."""


class JsonRefused(ValueError):
    """The body is not JSON this server reads; `reason` says why, in words for the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse_constant(name: str) -> NoReturn:
    raise JsonRefused(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def parse_json(body: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of a request body (UTF-8, RFC 8259), or JsonRefused: larger than `max_bytes`,
    nested deeper than `max_depth`, not UTF-8, or not JSON."""
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > max_bytes:
        raise JsonRefused(f"the body is larger than {max_bytes} bytes")
    try:
        # As json.loads reads bytes: an encoded lone surrogate (ED A0 80) becomes one, for the
        # caller's unstorable_at to name the field it is in.
        text = body if isinstance(body, str) else body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise JsonRefused("the body is not UTF-8") from None
    if json_depth(text) > max_depth:
        raise JsonRefused(f"the JSON nests arrays and objects more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except JsonRefused:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: cannot happen below max_depth; kept as a guard
        raise JsonRefused(f"the body is not valid JSON ({exc})") from None


def storable(text: str) -> str:
    """`text` without the characters no database column can store (a search for them finds nothing
    anyway; sent to PostgreSQL, a NUL is an error)."""
    return _UNSTORABLE.sub("", text)


def unstorable(text: str) -> bool:
    """Whether `text` holds a character no database column can store (NUL, a lone surrogate)."""
    return _UNSTORABLE.search(text) is not None


Path = tuple[str | int, ...]
"""Where a value is inside a parsed JSON value: object keys and array indexes, from the top."""


@dataclass(frozen=True)
class Unstorable:
    """A string (an object key, or a value) holding a character no database can store."""

    path: Path
    character: str
    """The first such character in it."""

    @property
    def dotted(self) -> str:
        """The path as SCIM and most people write it (`name.givenName`, `emails[0].value`), bad
        characters escaped (`\\u0000`) so the words that name it can be shown and logged."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
        return escaped(text)

    @property
    def words(self) -> str:
        if self.character == "\x00":
            return "a NUL character"
        return f"a lone surrogate (U+{ord(self.character):04X})"


def escaped(text: str) -> str:
    """`text` with NUL and lone surrogates written as JSON escapes, safe to show and log."""
    return _UNSTORABLE.sub(lambda bad: f"\\u{ord(bad.group()):04x}", text)


def _walk(value: Any) -> Iterator[tuple[Path, Any]]:
    """Every key and value of a parsed JSON value with where it is; iterative, so no nesting can
    exhaust the recursion."""
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        where, item = stack.pop()
        yield where, item
        if isinstance(item, dict):
            for key in item:
                yield (*where, key), key
            stack.extend(((*where, key), inner) for key, inner in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend(((*where, i), inner) for i, inner in reversed(list(enumerate(item))))


def unstorable_at(value: Any, *, nul: bool = True) -> Unstorable | None:
    """The first string in a parsed JSON value that holds a character no database column can store
    (in document order, an object's keys before its values), or None when every string is fine.
    With `nul=False`, lone surrogates only (a NUL is left to the field that reads it)."""
    pattern = _UNSTORABLE if nul else _SURROGATE
    for where, item in _walk(value):
        if isinstance(item, str) and (bad := pattern.search(item)):
            return Unstorable(where, bad.group())
    return None


_ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(text: str) -> int | None:
    """`text` as a row ID (1 to 18 ASCII digits: it fits any database's 64-bit integer), else None.
    (`str.isdigit` is no test: it accepts "²", which `int` refuses, and any number of digits.)"""
    return int(text) if _ROW_ID.fullmatch(text) else None
