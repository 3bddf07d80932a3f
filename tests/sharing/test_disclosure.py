"""Primary and complementary suppression of a partner's counts, and how each group is listed."""

from __future__ import annotations

import numpy as np
import pytest

from geo.sharing.disclosure import (
    LISTED,
    POOLED,
    PRIMARY,
    SECONDARY,
    SHOWN,
    WITHHELD,
    classes_of,
    protect_counts,
    recoverable_cells,
)


def _safe(table) -> bool:
    return recoverable_cells(table.counts, table.status, table.listing, min_count=table.min_count) == []


def test_a_lone_masked_cell_in_a_column_gets_a_complementary_cell():
    counts = np.array([[9, 1, 0], [12, 7, 0], [20, 9, 4]])
    table = protect_counts(counts)
    assert table.status[0, 1] == PRIMARY
    assert (table.status[:, 1] == SECONDARY).sum() == 1  # the smallest cell of the column that protects it
    assert (table.listing[table.pooled] == POOLED).all() and (table.listing[~table.pooled] == LISTED).all()
    assert _safe(table)
    # without it, the pooled sum of the column gives the masked cell back
    bare = np.where(counts == 1, PRIMARY, SHOWN)
    listing = np.where(bare.any(axis=1)[:, None], POOLED, LISTED) * np.ones_like(counts)
    assert recoverable_cells(counts, bare, listing, min_count=3) == [(0, 1)]
    assert [table.label(0, 1), table.total_label(1)] == ["< 3", f"≥ {counts[table.status[:, 1] == SHOWN, 1].sum()}"]


def test_two_masked_cells_summing_to_two_are_both_one():
    counts = np.array([[5, 1, 0], [4, 1, 0], [8, 6, 3]])
    status = np.where((counts > 0) & (counts < 3), PRIMARY, SHOWN)
    listing = np.full(counts.shape, LISTED)
    listing[:2] = POOLED
    assert sorted(recoverable_cells(counts, status, listing, min_count=3)) == [(0, 1), (1, 1)]
    assert _safe(protect_counts(counts))


def test_one_open_report_in_all_withholds_it_and_keeps_the_closed_ones_listed():
    counts = np.array([[17, 0, 0], [37, 1, 0], [16, 0, 0]])  # nothing can hide the lone open report in a pool
    table = protect_counts(counts)
    assert table.listing[1].tolist() == [LISTED, WITHHELD, WITHHELD]  # its 36 closed reports stay listed
    assert table.status[1].tolist() == [SECONDARY, PRIMARY, SHOWN]  # else 37 − 36 listed = 1 open
    assert (table.listing[[0, 2]] == LISTED).all() and _safe(table)
    assert recoverable_cells(counts, np.where(counts == 1, PRIMARY, SHOWN), table.listing, min_count=3) == [(1, 1)]


def test_a_row_of_exactly_three_is_withheld_whole():
    counts = np.array([[3, 2, 0], [9, 0, 0]])  # 1 closed + 2 open: « masqué » ≥ 3 would pin the open cell to 2
    table = protect_counts(counts)
    assert table.listing[0].tolist() == [WITHHELD] * 3 and table.status[0].tolist() == [SHOWN, PRIMARY, SHOWN]
    assert _safe(table)


def test_nothing_small_nothing_masked_and_columns_must_nest():
    counts = np.array([[5, 3, 0], [0, 0, 0], [30, 12, 9]])
    table = protect_counts(counts)
    assert (table.status == SHOWN).all() and (table.listing == LISTED).all()
    assert [table.total_label(c) for c in range(3)] == ["35", "15", "9"]
    assert classes_of(counts).tolist() == [[2, 3, 0], [0, 0, 0], [18, 3, 9]]
    with pytest.raises(ValueError, match="emboîtées"):
        protect_counts(np.array([[1, 2, 0]]))


def test_a_category_routed_in_one_quartier_only_is_hidden_on_pooled_items():
    import pandas as pd

    from geo.sharing.privacy import HIDDEN_CATEGORY, POOLED_NAME, _publishable
    from geo.sharing.scope import PartnerScope, scope_keys, uniform_places

    def scope(pairs: list[tuple[str, str | None]]) -> PartnerScope:
        keys = scope_keys(pd.Series([c for c, _ in pairs]), pd.Series([q for _, q in pairs], dtype=object))
        return PartnerScope(partner_id="p", name="P", categories=frozenset(c for c, _ in pairs),
                            pairs=frozenset(keys))

    assert uniform_places(scope([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("a", None), ("b", None)]))
    assert not uniform_places(scope([("a", "x"), ("b", "x"), ("b", "y")]))  # an « a » item can only be in x
    items = pd.DataFrame({"ref": list("ABCDEFG"), "category": ["a", "b", "b", "b", "b", "b", "b"],
                          "category_label": ["A", "B", "B", "B", "B", "B", "B"],
                          "is_open": [True, True, True, False, False, False, False],
                          "age_days": [1] * 7, "neighbourhood": ["x", "y", "y", "z", "z", "z", "z"],
                          "neighbourhood_name": ["X", "Y", "Y", "Z", "Z", "Z", "Z"],
                          "lat": [47.0] * 7, "lon": [5.0] * 7})
    rows = [("x", "X"), ("y", "Y"), ("z", "Z")]
    table = protect_counts(np.array([[1, 1, 0], [2, 2, 0], [4, 0, 0]]))
    assert table.listing[0, 1] == POOLED and table.listing[1, 1] == POOLED  # « < 3 » open cells 1 + 2, pooled
    for hide in (False, True):
        listed, _ = _publishable(items, rows, table, min_count=3, hide_category=hide)
        pooled = listed[listed["neighbourhood_name"] == POOLED_NAME]
        assert set(pooled["ref"]) == {"A", "B", "C"} and pooled["lat"].isna().all()
        assert (set(pooled["category_label"]) == {HIDDEN_CATEGORY}) is hide
