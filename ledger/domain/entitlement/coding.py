"""Distinct combinations of small integer columns, found with one hash pass (no row sort)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(codes, rows)`: for each row the number of its combination, and each combination's
    values (one row per combination, one column per input column)."""
    lows = [int(c.min()) if len(c) else 0 for c in columns]
    spans = [int(c.max()) - low + 1 if len(c) else 1 for c, low in zip(columns, lows, strict=True)]
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, low, span in zip(columns, lows, spans, strict=True):
        key = key * span + (column.astype(np.int64) - low)
    codes, uniques = pd.factorize(key)
    values = np.asarray(uniques, dtype=np.int64)
    rows = np.zeros((len(values), len(columns)), dtype=np.int64)
    for i in range(len(columns) - 1, -1, -1):
        rows[:, i] = values % spans[i] + lows[i]
        values = values // spans[i]
    return codes, rows


def arrow_text(values: Any) -> pa.Array:
    """Text values (a str Series, an Index or an object array) as one Arrow large_string array:
    no copy of the cells when they are Arrow already, no Python object per cell otherwise."""
    if isinstance(values, pd.Index | pd.Series):
        values = values.astype("str")
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def positions(values: Any, among: Any) -> np.ndarray:
    """For each text value, its position in `among` (distinct values), -1 where it is absent
    or missing. Arrow's hash lookup in C++: at millions of ids, pandas' lookup by Python
    objects costs seconds."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(arrow_text(values), value_set=arrow_text(among))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def text_column(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An object array of strings as the `str` column the output frames promise (empty too)."""
    return pd.array(values, dtype="str")


def join_sorted(group: np.ndarray, text: np.ndarray, groups: int) -> np.ndarray:
    """For each group number 0..groups-1, its strings sorted (by code point) and joined with ";"
    ("" for a group with none). Vectorised: one pass per position within a group."""
    joined = np.full(groups, "", dtype=object)
    if len(group) == 0:
        return joined
    counts = np.bincount(group, minlength=groups)
    single = counts[group] == 1
    joined[group[single]] = text[single]
    group, text = group[~single], text[~single]
    if len(group) == 0:
        return joined
    # numpy sorts fixed-width unicode in C, in code point order like Python's str
    rank = np.empty(len(text), dtype=np.int64)
    rank[np.argsort(text.astype(str), kind="stable")] = np.arange(len(text))
    order = np.lexsort((rank, group))
    group, text = group[order], text[order]
    new = np.ones(len(group), dtype=bool)
    new[1:] = group[1:] != group[:-1]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(group)))
    position = np.arange(len(group)) - np.repeat(starts, sizes)
    owner = np.repeat(np.arange(len(starts)), sizes)
    result = text[starts].copy()
    by_position = np.argsort(position, kind="stable")
    bounds = np.searchsorted(position[by_position], np.arange(1, int(sizes.max()) + 1))
    for k in range(1, int(sizes.max())):
        these = by_position[bounds[k - 1] : bounds[k]]
        result[owner[these]] = result[owner[these]] + ";" + text[these]
    joined[group[starts]] = result
    return joined
