"""Inserting many rows at once, column by column, at the speed of the driver's executemany.

SQLAlchemy's Core executemany turns each row's dict into parameters one value at a time; at
millions of rows that costs as much as the database's own work. Here each column is converted
once with the column type's own bind processor (so what is stored is exactly what SQLAlchemy
would store), constant columns are converted once, and the rows go to the driver in batches.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, Table, insert

BATCH = 50_000  # rows per executemany: big enough for speed, small enough for memory


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row tuples are made.

    Each tuple is a container the collector tracks, so its full passes grow with the rows
    already made: reading or inserting a few hundred thousand rows spent half its time there.
    Row tuples hold no cycles, so nothing is lost by collecting after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Values: TypeAlias = Sequence[Any] | pd.Series


def insert_columns(
    connection: Connection, table: Table, columns: Mapping[str, Values | Any], count: int
) -> None:
    """Insert `count` rows into `table`: each entry of `columns` is a sequence (or Series) of
    `count` values, or one value every row shares. Columns left out take their scalar default.
    """
    if count == 0:
        return
    dialect = connection.dialect
    given = dict(columns)
    for column in table.columns:
        default = column.default
        if column.name in given or column.primary_key:
            continue
        if default is not None and getattr(default, "is_scalar", False):
            given[column.name] = default.arg  # type: ignore[attr-defined]
    names = list(given)
    for name in names:
        if _is_column(given[name]) and len(given[name]) != count:
            raise ValueError(f"column {name}: {len(given[name])} values for {count} rows")
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    sql = str(compiled)
    positional = compiled.positiontup
    with paused_gc():
        # each batch's values are converted when it is sent: the Python objects of a whole
        # column (millions of ints and strings) are never held at once
        for start in range(0, count, BATCH):
            stop = min(start + BATCH, count)
            lists = {
                name: _processed(
                    table, name, _rows(given[name], start, stop), stop - start, dialect
                )
                for name in names
            }
            _execute_batch(connection, sql, positional, names, lists)


def _rows(values: Any, start: int, stop: int) -> Any:
    """Rows start..stop of a column (a scalar shared by every row stays as it is)."""
    if isinstance(values, pd.Series):
        return values.iloc[start:stop]
    return values[start:stop] if _is_column(values) else values


def _execute_batch(
    connection: Connection,
    sql: str,
    positional: Sequence[str] | None,
    names: list[str],
    lists: dict[str, list[Any]],
) -> None:
    if positional is not None:
        params: list[Any] = list(zip(*(lists[name] for name in positional), strict=True))
    else:
        params = [dict(zip(names, row, strict=True)) for row in zip(*lists.values(), strict=True)]
    connection.exec_driver_sql(sql, params)


def _processed(table: Table, name: str, values: Any, count: int, dialect: Any) -> list[Any]:
    column = table.c[name]
    process = column.type._cached_bind_processor(dialect)
    if not _is_column(values):
        one = process(values) if process is not None else values
        return [one] * count
    if isinstance(column.type, Date) and dialect.name == "sqlite" and _is_datetimes(values):
        # SQLAlchemy stores an SQLite DATE as the text YYYY-MM-DD: numpy writes exactly that
        days = pd.Series(values).to_numpy("datetime64[D]")
        texts = np.datetime_as_string(days).tolist()
        return [None if text == "NaT" else text for text in texts]
    items = _python_values(values)
    if len(items) != count:
        raise ValueError(f"column {name}: {len(items)} values for {count} rows")
    if process is None:
        return items
    return [None if value is None else process(value) for value in items]


def _is_column(values: Any) -> bool:
    return isinstance(values, pd.Series | np.ndarray | list | tuple)


def _is_datetimes(values: Any) -> bool:
    return isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values.dtype)


def _python_values(values: Values) -> list[Any]:
    """Plain Python values, None where pandas or numpy would say missing."""
    if isinstance(values, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            return [None if pd.isna(v) else v.date() for v in values]
        missing = values.isna().to_numpy(bool)
        items: list[Any] = values.astype(object).tolist()
        if missing.any():
            return [None if gone else item for item, gone in zip(items, missing, strict=True)]
        return items
    return list(values)
