"""Multiple-response sets in an SPSS file, for the import tests.

pyreadstat writes .sav files but not their multiple-response sets, so this adds SPSS's MRSETS
record (an extension record: type 7, subtype 7, one line per set, as PSPP's documentation of the
system file format describes it) just before the dictionary's end. pyreadstat (ReadStat) then
reads the sets back from the file like any other; the importer is tested against that reading.
"""

from __future__ import annotations

import struct
from pathlib import Path


def _after_dictionary(raw: bytes) -> int:
    """The offset of the dictionary-termination record (type 999): walk the records before it."""

    def i32(at: int) -> int:
        return int(struct.unpack_from("<i", raw, at)[0])

    pos = 176  # the file header
    while (kind := i32(pos)) != 999:
        if kind == 2:  # a variable: fixed part, then an optional label and missing values
            has_label, missing = i32(pos + 8), i32(pos + 12)
            pos += 32
            if has_label:
                pos += 4 + (i32(pos) + 3) // 4 * 4
            pos += abs(missing) * 8
        elif kind == 3:  # value labels: (8-byte value, length byte, label padded to 8)
            count, pos = i32(pos + 4), pos + 8
            for _ in range(count):
                pos += 8 + (raw[pos + 8] + 1 + 7) // 8 * 8
        elif kind == 4:  # the variables those labels apply to
            pos += 8 + 4 * i32(pos + 4)
        elif kind == 6:  # documents: 80-byte lines
            pos += 8 + 80 * i32(pos + 4)
        elif kind == 7:  # an extension record: size x count bytes
            pos += 16 + i32(pos + 8) * i32(pos + 12)
        else:
            raise ValueError(f"unexpected record type {kind} at {pos}")
    return pos


def add_dichotomy_sets(path: Path, sets: dict[str, tuple[str, int, list[str]]]) -> None:
    """Add multiple-response sets of dichotomies: name → (label, counted value, variables)."""
    lines = "".join(
        f"${name}=D{len(str(counted))} {counted} {len(label)} {label} {' '.join(variables)}\n"
        for name, (label, counted, variables) in sets.items()
    ).encode()
    raw = path.read_bytes()
    at = _after_dictionary(raw)
    path.write_bytes(raw[:at] + struct.pack("<iiii", 7, 7, 1, len(lines)) + lines + raw[at:])
