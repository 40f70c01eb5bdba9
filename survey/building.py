"""The build's fast path: each question's answers and per-cell totals, block of rows by block.

Every draw the generator makes has a fixed place in its random stream: a question starts where the
one before it ended, datapoint j of its k draws row i's number at (start + j * n + i), and a single
choice question's skip draws follow its k datapoints' (start + k * n + i). PCG64 jumps to any place
(`advance`), so the rows are cut into parts of whole cells (markets x waves), each with generators
placed where its rows' draws are, and two threads compute the parts, every datapoint of a block of
rows in turn while the block stays in the CPU's cache. The numbers are those of the plain formulas,
bit for bit (tests/survey/test_generator_reference.py):

- a logit's first terms (base, age, gender, trend) depend only on the row's age, gender and wave,
  so they are computed once per datapoint for each combination, by the plain expression, and looked
  up (`Terms`); a multiple-choice logit is computed negated (negating every term negates the sum
  exactly), as exp(-logit) takes it;
- a single-choice Gumbel draw, -log(-log(1 - u)), is computed with numpy's log, which may differ
  from the C library's (numpy's own draws) in the last bit: a row whose largest logit + Gumbel is
  within CLOSE of the next one is decided again with the C library's log (`math.log`), and a draw of
  u = 0, which numpy's Gumbel draws again, sends the question back to numpy's own draws;
- a cell's weighted count of a datapoint is its rows' weights added one after another in row order
  (as a weighted `bincount` adds them): a block's rows x datapoints matrix of weight-or-zero, summed
  down each column (`np.add.reduce` over rows adds row after row when a row holds two or more
  columns), the cell's running total put in front of its rows.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from survey.catalog import Question
from survey.data import cell_totals

BLOCK_ROWS = 1 << 13
"""Rows computed together: a datapoint's terms for them stay in the CPU's cache (the build is limited
by memory traffic, not arithmetic)."""
PARTS = 8
"""Parts of whole cells a question's rows are cut into, for the two threads to share."""
CLOSE = 1e-9
"""A single-choice row whose best two logits + Gumbel draws are this close is decided with the C
library's log (numpy's may differ from it by about 1e-15)."""
SKIP = 0.05
"""About this share of respondents skip each single-choice question."""
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="generate")
_WIDTH = 32  # bits of a multiple-choice answer (uint32)
_GATHER = np.uint64(0x0102040810204080)
_local = threading.local()


State = Mapping[str, Any]
"""A PCG64 bit generator's state (`bit_generator.state`)."""


def position(state: State, draws: int) -> np.random.Generator:
    """A generator `draws` numbers after PCG64 state `state`: it draws what the stream draws from there."""
    bits = np.random.PCG64()
    bits.state = cast(Any, state)
    bits.advance(draws)
    return np.random.Generator(bits)


def draws(question: Question, n: int) -> int:
    """The numbers a question's answers take from the stream (but for a Gumbel draw of u = 0)."""
    k = len(question.datapoints)
    return (k + 1) * n if question.kind == "single" else k * n


class Columns:
    """Where a build puts its columns: arrays in memory, or `.npy` files in `folder`, each saved once
    computed and then mapped read-only (so a build of millions holds only a few columns in memory;
    written whole, not through a writable map, whose page faults cost more than the write)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def done(self, name: str, column: np.ndarray) -> np.ndarray:
        """A column once computed (the caller drops the array it had)."""
        if self.folder is None:
            return column
        np.save(self.folder / f"{name}.npy", column)
        return np.load(self.folder / f"{name}.npy", mmap_mode="r")

    def save(self, name: str, array: np.ndarray) -> None:
        if self.folder is not None:
            np.save(self.folder / f"{name}.npy", array)


@dataclass(frozen=True)
class Respondents:
    """What answers depend on, one entry per respondent (rows sorted by market, then wave)."""

    index: np.ndarray  # intp: ((age - youngest) * 2 + gender) * waves + wave, a row of `Terms.table`
    traits: dict[str, np.ndarray]
    weight: np.ndarray
    offsets: np.ndarray  # cell offsets: cell c is rows offsets[c]:offsets[c + 1]
    z_ages: np.ndarray  # z_age of each age, youngest first, as the rows' z_age column holds it
    waves: int

    @property
    def n(self) -> int:
        return int(self.index.shape[0])

    @property
    def location_rows(self) -> list[tuple[int, int]]:
        ends = self.offsets[:: self.waves]
        return [(int(a), int(b)) for a, b in itertools.pairwise(ends)]


def respondents(
    age_range: tuple[int, int],
    age: np.ndarray,
    gender: np.ndarray,
    wave: np.ndarray,
    traits: dict[str, np.ndarray],
    weight: np.ndarray,
    offsets: np.ndarray,
    waves: int,
) -> Respondents:
    lo, hi = age_range
    ages = np.arange(lo, hi + 1).astype(age.dtype)
    z_ages = (ages - (lo + hi) / 2) / ((hi - lo) / 3.5)  # the generator's z_age expression, per age
    index = ((age.astype(np.intp) - lo) * 2 + gender) * waves + wave  # intp: `take` converts nothing
    return Respondents(index, traits, weight, offsets, z_ages, waves)


@dataclass(frozen=True)
class Terms:
    """One datapoint's logit: base + age * z_age + female * is_female + trend * wave (looked up by the
    row's age, gender and wave), + each trait term in the order written, + the market's boost, added in
    that order; every term negated when `of(..., sign=-1.0)`.

    A trait or boost whose coefficient is 0 is left out: it would add ±0.0, which changes at most the
    sign of a zero logit, and a zero of either sign gives the same probability and choice."""

    table: np.ndarray
    index: np.ndarray
    steps: tuple[tuple[float, np.ndarray], ...]  # (coefficient, trait column)
    boosts: tuple[tuple[int, int, float], ...]  # (start, stop, logit shift) of each boosted market's rows

    @classmethod
    def of(
        cls,
        r: Respondents,
        first: tuple[float, float, float, float],
        traits: Sequence[tuple[str, float]],
        boosts: Sequence[float],
        sign: float = 1.0,
    ) -> Terms:
        """`first`: base and the age, female and trend coefficients; `boosts`: one per market."""
        base, age, female, trend = first
        z = r.z_ages[:, None, None]
        is_female = np.array([0.0, 1.0])[None, :, None]
        wave = np.arange(r.waves)[None, None, :]
        table = (base + age * z + female * is_female + trend * wave).ravel()  # the plain expression
        steps = tuple((sign * c, r.traits[name]) for name, c in traits if c != 0.0)
        shifts = tuple(
            (a, b, sign * boost) for (a, b), boost in zip(r.location_rows, boosts, strict=True) if boost != 0.0
        )
        return cls(sign * table, r.index, steps, shifts)

    def logit(self, a: int, b: int, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        """Rows a:b's logits, into `out`, each added term by term: the plain expression's floats."""
        np.take(self.table, self.index[a:b], out=out, mode="clip")
        for coefficient, column in self.steps:
            np.add(out, np.multiply(column[a:b], coefficient, out=scratch), out=out)
        for start, stop, boost in self.boosts:
            lo, hi = max(start, a), min(stop, b)
            if lo < hi:
                out[lo - a : hi - a] += boost
        return out


@dataclass(frozen=True)
class _Block:
    a: int
    b: int
    cells: np.ndarray  # the cells with rows in a:b, in order
    starts: np.ndarray  # each one's first row in the block, from a
    segments: tuple[tuple[int, int, int], ...]  # (cell, first, stop) rows from a


def _parts(offsets: np.ndarray, n: int, parts: int, block_rows: int) -> list[list[_Block]]:
    """The rows in parts of whole cells (a cell's running totals stay in one thread), each in blocks."""
    cuts = np.unique(offsets[np.searchsorted(offsets, [n * i // parts for i in range(parts + 1)])])
    return [_blocks(offsets, int(lo), int(hi), block_rows) for lo, hi in itertools.pairwise(cuts)]


def _blocks(offsets: np.ndarray, lo: int, hi: int, block_rows: int) -> list[_Block]:
    blocks = []
    for a in range(lo, hi, block_rows):
        b = min(a + block_rows, hi)
        segments, c = [], int(np.searchsorted(offsets, a, side="right")) - 1
        while c < len(offsets) - 1 and offsets[c] < b:
            first, stop = max(int(offsets[c]), a), min(int(offsets[c + 1]), b)
            if first < stop:
                segments.append((c, first - a, stop - a))
            c += 1
        cells = np.array([s[0] for s in segments], dtype=np.int64)
        blocks.append(_Block(a, b, cells, np.array([s[1] for s in segments], dtype=np.int64), tuple(segments)))
    return blocks


@dataclass(frozen=True)
class _Question:
    """One question being computed: where its draws start, where its answers and totals go."""

    question: Question
    terms: list[Terms]
    start: State  # PCG64 state where the question's draws start
    r: Respondents
    column: np.ndarray
    weighted: np.ndarray  # cells x k rounded up to 8s (a row of one column would be summed pairwise)
    counted: np.ndarray

    @property
    def k(self) -> int:
        return len(self.terms)

    @property
    def width(self) -> int:
        return int(self.weighted.shape[1])


@dataclass
class _Buffers:
    out: np.ndarray
    scratch: np.ndarray
    u: np.ndarray
    flags: np.ndarray  # rows x width (a question's), bool: whether each row hits each datapoint
    words: np.ndarray  # rows x 4, uint64
    quad: np.ndarray  # rows x 4 bytes: a multiple-choice answer's bits
    summed: np.ndarray  # (rows + 1) x columns, flat
    logits: np.ndarray  # datapoints x rows
    uniforms: np.ndarray  # datapoints x rows
    best: np.ndarray
    second: np.ndarray
    choice: np.ndarray
    greater: np.ndarray


def _buffers(rows: int) -> _Buffers:
    """This thread's working arrays (made once: fresh memory is zeroed by the kernel, page by page)."""
    held = getattr(_local, "buffers", None)
    if held is None or held.out.shape[0] != rows:
        f = np.empty
        held = _Buffers(
            f(rows),
            f(rows),
            f(rows),
            np.zeros(rows * _WIDTH, dtype=bool),
            f((rows, 4), dtype=np.uint64),
            np.zeros((rows, 4), dtype=np.uint8),
            f((rows + 1) * _WIDTH),
            f((_WIDTH, rows)),
            f((_WIDTH, rows)),
            f(rows),
            f(rows),
            f(rows, dtype=np.int8),
            f(rows, dtype=bool),
        )
        _local.buffers = held
    return held


def _hits(buf: _Buffers, width: int, m: int) -> np.ndarray:
    """The first m rows of this thread's rows x width flags (contiguous: whole rows at a time)."""
    return buf.flags[: buf.out.shape[0] * width].reshape(-1, width)[:m]


def _multi_block(q: _Question, block: _Block, gens: list[np.random.Generator], buf: _Buffers) -> None:
    a, b, m = block.a, block.b, block.b - block.a
    hits = _hits(buf, q.width, m)
    out, scratch, u = buf.out[:m], buf.scratch[:m], buf.u[:m]
    for j, terms in enumerate(q.terms):
        p = terms.logit(a, b, out, scratch)  # negated: 1 / (1 + exp(-logit))
        np.exp(p, out=p)
        np.add(p, 1.0, out=p)
        np.divide(1.0, p, out=p)
        gens[j].random(out=u)
        np.less(u, p, out=hits[:, j])
    # Eight flags (bytes of 0 or 1, a little-endian uint64) times _GATHER put flag i at bit 56 + i.
    octets = np.multiply(hits.view("<u8"), _GATHER, out=buf.words[:m, : q.width // 8])
    buf.quad[:m, : q.width // 8] = np.right_shift(octets, np.uint64(56), out=octets)
    q.column[a:b] = buf.quad[:m].view("<u4")[:, 0]


def _single_block(q: _Question, block: _Block, gens: list[np.random.Generator], buf: _Buffers) -> bool:
    """One answer each, the datapoint whose logit plus a Gumbel draw is largest (Gumbel-max; the first
    one on a tie, as argmax), then about 5% skip the question. False if a Gumbel draw was u = 0."""
    a, b, m = block.a, block.b, block.b - block.a
    g, scratch, best, second, choice = buf.out[:m], buf.scratch[:m], buf.best[:m], buf.second[:m], buf.choice[:m]
    for j, terms in enumerate(q.terms):
        logit, u = terms.logit(a, b, buf.logits[j, :m], scratch), buf.uniforms[j, :m]
        gens[j].random(out=u)
        np.subtract(1.0, u, out=g)  # numpy's Gumbel draw is 0.0 - log(-log(1.0 - u))
        np.log(g, out=g)
        np.negative(g, out=g)
        np.log(g, out=g)
        row = np.subtract(logit, g, out=g)
        if j == 0:
            best[:] = row
            second.fill(-np.inf)
            choice.fill(0)
            continue
        greater = np.greater(row, best, out=buf.greater[:m])
        np.copyto(choice, np.int8(j), where=greater)
        np.maximum(second, np.minimum(row, best, out=scratch), out=second)
        np.maximum(best, row, out=best)
    if np.isinf(best).any():  # u = 0: numpy draws that Gumbel again, and every later draw moves on by one
        return False
    for i in np.flatnonzero(best - second <= CLOSE).tolist():
        choice[i] = _exact_choice(buf.logits[: q.k, i], buf.uniforms[: q.k, i])
    gens[q.k].random(out=buf.u[:m])
    np.copyto(choice, np.int8(-1), where=buf.u[:m] < SKIP)
    q.column[a:b] = choice
    np.equal(choice[:, None], np.arange(q.width, dtype=np.int8)[None, :], out=_hits(buf, q.width, m))
    return True


def _exact_choice(logits: np.ndarray, uniforms: np.ndarray) -> int:
    """A row's choice with the Gumbel draws numpy makes (the C library's log), argmax's first on a tie."""
    best, choice = 0.0, 0
    for j, (logit, u) in enumerate(zip(logits.tolist(), uniforms.tolist(), strict=True)):
        row = logit + (0.0 - math.log(-math.log(1.0 - u)))
        if j == 0 or row > best:
            best, choice = row, j
    return choice


def _add_totals(q: _Question, block: _Block, buf: _Buffers) -> None:
    """Add a block's rows to its cells' weighted and unweighted counts of every datapoint, in row order."""
    a, m, width = block.a, block.b - block.a, q.width
    hits = _hits(buf, width, m)
    summed = buf.summed[: (m + 1) * width].reshape(m + 1, width)
    np.multiply(hits, q.r.weight[a : block.b, None], out=summed[1:])  # row i is summed[i + 1]
    for cell, first, stop in block.segments:
        summed[first] = q.weighted[cell]  # the cell's total so far goes first, then its rows in order
        np.add.reduce(summed[first : stop + 1], axis=0, out=q.weighted[cell])
    q.counted[block.cells] += np.add.reduceat(hits.view(np.uint8), block.starts, axis=0, dtype=np.int32)


def _part(q: _Question, blocks: list[_Block]) -> bool:
    """A part's rows, block by block, with generators placed where its draws are. False as
    `_single_block`."""
    if not blocks:
        return True
    n, lo, buf = q.r.n, blocks[0].a, _buffers(BLOCK_ROWS)
    single = q.question.kind == "single"
    gens = [position(q.start, j * n + lo) for j in range(q.k + single)]
    _hits(buf, q.width, BLOCK_ROWS)[:, q.k :] = False
    buf.quad.fill(0)
    for block in blocks:
        if single:
            if not _single_block(q, block, gens, buf):
                return False
        else:
            _multi_block(q, block, gens, buf)
        _add_totals(q, block, buf)
    return True


def _single_drawn_again(q: _Question) -> State:
    """A single-choice question by numpy's own Gumbel draws, whole columns at once (when one of its
    draws was u = 0, which numpy draws again). Returns the state after the question's draws."""
    n, gen = q.r.n, position(q.start, 0)
    out, scratch, choice = np.empty(n), np.empty(n), np.zeros(n, dtype=np.int8)
    best = q.terms[0].logit(0, n, np.empty(n), scratch) + gen.gumbel(size=n)
    for j, terms in enumerate(q.terms[1:], start=1):
        row = terms.logit(0, n, out, scratch) + gen.gumbel(size=n)
        choice[row > best] = j
        np.maximum(best, row, out=best)
    choice[gen.random(n) < SKIP] = -1
    q.column[:] = choice
    weighted, counted = cell_totals(q.question, q.column, q.r.weight, q.r.offsets)
    q.weighted[:, : q.k], q.counted[:, : q.k] = weighted, counted
    return gen.bit_generator.state


@dataclass
class Answers:
    """Every question's answers and per-cell totals, and the stream's state after them."""

    columns: dict[str, np.ndarray]
    weighted: dict[str, np.ndarray]
    counted: dict[str, np.ndarray]
    end: State


TermsOf = Callable[[Question, float], list[Terms]]


def answers(
    questions: Sequence[Question], terms_of: TermsOf, r: Respondents, start: State, columns: Columns
) -> Answers:
    """All questions' answers, one question after another from PCG64 state `start`, each by two
    threads over parts of the rows; their per-cell totals weighted by `r.weight`."""
    parts = _parts(r.offsets, r.n, PARTS, BLOCK_ROWS)
    done = Answers({}, {}, {}, start)
    for question in questions:
        k, name = len(question.datapoints), f"q__{question.code}"
        column = np.empty(r.n, dtype=np.int8 if question.kind == "single" else np.uint32)
        weighted, counted, done.end = _question(question, terms_of, r, done.end, column, parts)
        done.columns[question.code] = columns.done(name, column)
        del column  # saved and mapped: its memory goes back
        done.weighted[question.code], done.counted[question.code] = weighted[:, :k].copy(), counted[:, :k].copy()
    return done


def _question(
    question: Question,
    terms_of: TermsOf,
    r: Respondents,
    start: State,
    column: np.ndarray,
    parts: list[list[_Block]],
) -> tuple[np.ndarray, np.ndarray, State]:
    single, cells, width = question.kind == "single", len(r.offsets) - 1, -(-len(question.datapoints) // 8) * 8
    terms = terms_of(question, 1.0 if single else -1.0)
    q = _Question(question, terms, start, r, column, np.zeros((cells, width)), np.zeros((cells, width), np.int64))
    if all(f.result() for f in [_POOL.submit(_part, q, blocks) for blocks in parts]):
        end = position(start, draws(question, r.n)).bit_generator.state
    else:
        q.weighted.fill(0.0)
        q.counted.fill(0)
        end = _single_drawn_again(q)
    return q.weighted, q.counted, end
