"""Distinct combinations of small integer columns, found with one hash pass (no row sort)."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def text_column(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An object array of strings as the `str` column the output frames promise (empty too)."""
    return pd.array(values, dtype="str")
