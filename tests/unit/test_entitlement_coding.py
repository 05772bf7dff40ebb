"""The small vectorised helpers the engine is built on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ledger.domain.entitlement.coding import distinct_rows, join_sorted, positions


@pytest.mark.parametrize(
    ("groups", "texts", "size", "expected"),
    [
        (
            [2, 0, 2, 2, 1, 0, 4],
            ["b", "z", "a", "c", "x", "y", "q"],
            6,
            ["y;z", "x", "a;b;c", "", "q", ""],
        ),
        ([], [], 2, ["", ""]),
        ([0, 0], ["E10", "E9"], 1, ["E10;E9"]),  # code point order, as Python sorts strings
        ([1, 1, 1], ["É1", "E2", "e3"], 2, ["", "E2;e3;É1"]),
    ],
)
def test_join_sorted(groups: list[int], texts: list[str], size: int, expected: list[str]) -> None:
    got = join_sorted(np.array(groups, dtype=np.int64), np.array(texts, dtype=object), size)
    assert got.tolist() == expected
    assert expected == [
        ";".join(sorted(t for g, t in zip(groups, texts, strict=True) if g == k))
        for k in range(size)
    ]


def test_distinct_rows_numbers_combinations_and_gives_them_back() -> None:
    a = np.array([3, -1, 3, 7, -1])
    b = np.array([0, 5, 0, 0, 5])
    codes, rows = distinct_rows(a, b)
    assert codes.tolist() == [0, 1, 0, 2, 1]
    assert rows.tolist() == [[3, 0], [-1, 5], [7, 0]]


def test_positions_finds_each_id_among_the_people_and_minus_one_for_strangers() -> None:
    people = pd.Index(np.array(["P10", "P2", "P1"], dtype=object))
    values = pd.Series(["P1", "P3", None, "P10", "P1", "p1"], dtype="str")
    assert positions(values, people).tolist() == [2, -1, -1, 0, 2, -1]
    # any text column form: object arrays, numbers written as text, nothing at all
    assert positions(np.array(["P2"], dtype=object), people).tolist() == [1]
    assert positions(pd.Series([7, 8]), pd.Index(["8", "7"])).tolist() == [1, 0]
    assert positions(pd.Series([], dtype="str"), people).tolist() == []
