"""Cells of an imported file read all at once: text cells of plain digits as numbers, and values
as positions among a question's labelled codes. Each gives what the per-cell reading gives (`float()`
of each cell; a dict of the labels), the same numbers to the bit."""

from __future__ import annotations

import math

import numpy as np

_POWERS = np.array([float(10**i) for i in range(16)])  # exact: every partial sum stays below 2**53


def plain_digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Text cells that are all plain ASCII digits (at most 15) or empty, as numbers (empty: NaN) and
    their lengths, parsed all at once: float() of each gives the same numbers. None for anything else."""
    try:
        text = ",".join(values.tolist())
    except TypeError:  # not all text
        return None
    if not text.isascii():
        return None
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    digit, comma = raw - np.uint8(48), raw == 44
    if not ((digit < 10) | comma).all():
        return None
    ends = np.append(np.flatnonzero(comma), len(raw))
    lengths = ends - np.concatenate([[0], ends[:-1] + 1])
    if len(ends) != len(values) or (lengths.size and lengths.max() > 15):
        return None
    at = np.flatnonzero(~comma)
    cell = np.cumsum(comma)[at]
    numbers = np.bincount(cell, weights=digit[at] * _POWERS[ends[cell] - 1 - at], minlength=len(values))
    numbers = numbers.astype(np.float64, copy=False)  # no digits at all: bincount counts in integers
    numbers[lengths == 0] = math.nan
    return numbers, lengths


def labelled(values: np.ndarray, labelled: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position in `labelled` (equal labels: the last one, as in a dict) and whether it
    has one. Labels that are small whole numbers (the usual codes): a table looked up at once."""
    codes = np.array(labelled, dtype=np.float64)
    if (
        codes.size
        and len(set(labelled)) == len(labelled)
        and np.all(codes == np.floor(codes))
        and codes.min() >= 0
        and codes.max() < 4096
    ):
        table = np.full(int(codes.max()) + 2, -1, dtype=np.int64)  # the last slot: every other value
        table[codes.astype(np.int64)] = np.arange(len(codes))
        whole = (values >= 0) & (values <= codes.max()) & (values == np.floor(values))
        index = table[np.where(whole, values, len(table) - 1).astype(np.int64)]
        return index, index >= 0
    order = np.argsort(codes, kind="stable")
    at = np.maximum(np.searchsorted(codes[order], values, side="right") - 1, 0)
    return order[at], codes[order][at] == values
