"""Primary and complementary suppression of a partner's counts (geo.sharing.disclosure)."""

from __future__ import annotations

import numpy as np

from geo.sharing.disclosure import PRIMARY, SECONDARY, SHOWN, protect_counts, recoverable_cells


def test_a_lone_masked_cell_in_a_column_gets_a_complementary_cell():
    counts = np.array([[9, 1, 0], [12, 7, 0], [20, 9, 4]])
    table = protect_counts(counts)
    assert table.status[0, 1] == PRIMARY
    assert (table.status[:, 1] == SECONDARY).sum() == 1  # the smallest cell that protects it
    assert table.listed and table.pooled.tolist() == [True, table.status[1].any(), table.status[2].any()]
    assert recoverable_cells(counts, table.status, min_count=3) == []
    # without it, the pooled sum of the column gives the masked cell back
    bare = np.where(counts == 1, PRIMARY, SHOWN)
    assert recoverable_cells(counts, bare, min_count=3) == [(0, 1)]
    assert [table.label(0, 1), table.total_label(1)] == ["< 3", f"≥ {counts[~table.pooled, 1].sum()}"]


def test_two_masked_cells_summing_to_two_are_both_one():
    counts = np.array([[5, 1, 0], [4, 1, 0], [8, 6, 3]])
    status = np.where((counts > 0) & (counts < 3), PRIMARY, SHOWN)
    assert sorted(recoverable_cells(counts, status, min_count=3)) == [(0, 1), (1, 1)]
    table = protect_counts(counts)
    assert recoverable_cells(counts, table.status, min_count=3, listed=table.listed) == []


def test_when_no_cell_can_protect_the_small_rows_are_left_out_of_the_lists():
    counts = np.array([[4, 1, 0], [6, 3, 0], [2, 0, 0]])  # the only other open cell is 3: pinned by nesting
    table = protect_counts(counts)
    assert not table.listed and not (table.status == SECONDARY).any()
    assert table.pooled.tolist() == [True, False, True]
    assert recoverable_cells(counts, table.status, min_count=3, listed=False) == []


def test_nothing_small_nothing_masked():
    counts = np.array([[5, 3, 0], [0, 0, 0], [30, 12, 9]])
    table = protect_counts(counts)
    assert (table.status == SHOWN).all() and table.listed and not table.pooled.any()
    assert [table.total_label(c) for c in range(3)] == ["35", "15", "9"]
