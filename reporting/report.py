"""What a report is, independent of the file it is written to.

A report is a cover (what it is, the cut-off, the spec version) and named tables, each a pandas
frame whose columns have a kind. Money columns hold integer minor units; the writers turn them
into decimal strings (csv, json) or exact numbers with the currency's format (xlsx). Charts name
a table and the columns to plot, so the domain never touches openpyxl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import pandas as pd

from contract_specs.model import ContractSpec


class Kind(StrEnum):
    """How a column's values are written."""

    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"  # integer minor units of the contract's currency
    DATE = "date"
    PERCENT = "percent"  # a decimal string such as "72.5" (never a float in the output)
    BOOLEAN = "boolean"
    MULTIPLE = (
        "multiple"  # a money multiple as a decimal string such as "1.0668" (a number in xlsx)
    )


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    """One table of a report: `name` is also its defined name in a workbook."""

    name: str
    title: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame
    note: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


class ChartKind(StrEnum):
    BAR = "bar"
    LINE = "line"


@dataclass(frozen=True)
class Chart:
    """A chart over one table: categories from one column, one series per value column."""

    kind: ChartKind
    title: str
    table: str
    category: str
    values: tuple[str, ...]
    y_title: str = ""


@dataclass(frozen=True)
class Report:
    """A report ready to write. `main` names the table a csv holds."""

    kind: str
    title: str
    contract_id: str
    contract_name: str
    currency: str
    exponent: int
    period: str
    cut_off: datetime
    spec_version: int
    cover: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    main: str
    charts: tuple[Chart, ...] = field(default_factory=tuple)

    def table(self, name: str) -> Table:
        """The table called `name` (KeyError when there is none)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


def report_for(
    spec: ContractSpec,
    kind: str,
    title: str,
    period: str,
    cut_off: datetime,
    spec_version: int,
    cover: tuple[tuple[str, str], ...],
    tables: tuple[Table, ...],
    main: str,
    charts: tuple[Chart, ...] = (),
) -> Report:
    """A report on `spec`'s contract (identity and currency taken from the spec)."""
    return Report(
        kind=kind,
        title=title,
        contract_id=spec.contract.id,
        contract_name=spec.contract.name,
        currency=spec.contract.currency,
        exponent=spec.contract.exponent,
        period=period,
        cut_off=cut_off,
        spec_version=spec_version,
        cover=cover,
        tables=tables,
        main=main,
        charts=charts,
    )


def empty_frame(columns: tuple[Column, ...]) -> pd.DataFrame:
    """A frame with no rows and the given columns (object dtype, so writers see no NaN)."""
    return pd.DataFrame({c.name: pd.Series([], dtype="object") for c in columns})


def as_date(value: object) -> date | None:
    """A calendar date from a datetime64/Timestamp/date cell; None for a missing one."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day: date = pd.Timestamp(value).date()
    return day


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas' NA (a cell with nothing to write)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def percent(part: int, whole: int) -> str:
    """`part` as a percentage of `whole`, one decimal, rounded half-up; "" when whole is 0.

    Exact (integer and Decimal arithmetic), so the same counts always print the same text.
    """
    if whole == 0:
        return ""
    value = Decimal(part) * 100 / Decimal(whole)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
