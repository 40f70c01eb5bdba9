"""The column helpers of survey/data.py against their definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from survey.catalog import Datapoint, Question
from survey.data import datapoint_hits, datapoint_matrix


def _multi(k: int) -> Question:
    return Question("many", "q", "Many", "", "multi", tuple(Datapoint(f"d{j}", f"D{j}", f"d{j}") for j in range(k)))


@given(masks=st.lists(st.integers(0, 2**32 - 1), max_size=50), k=st.integers(1, 32))
def test_a_bitmask_column_unpacks_to_one_column_per_bit(masks: list[int], k: int) -> None:
    """Column j of the matrix is bit j of each mask (bit 31 included), whatever the byte order of the host."""
    column = np.array(masks, dtype=np.uint32)
    question = _multi(k)
    matrix = datapoint_matrix(question, column)
    assert matrix.shape == (len(masks), k) and matrix.dtype == np.uint8
    for j in range(k):
        assert matrix[:, j].tolist() == [(m >> j) & 1 for m in masks]
        assert matrix[:, j].astype(bool).tolist() == datapoint_hits(question, column, j).tolist()


def test_a_memory_mapped_slice_unpacks_like_an_array(tmp_path) -> None:
    masks = np.array([0, 1, 2**31, 2**32 - 1, 0x0F0F0F0F, 123456789], dtype=np.uint32)
    np.save(tmp_path / "q.npy", masks)
    mapped = np.load(tmp_path / "q.npy", mmap_mode="r")
    question = _multi(32)
    assert np.array_equal(datapoint_matrix(question, mapped[1:5]), datapoint_matrix(question, masks[1:5]))
