"""`facts_from_rows`: rows as dicts (csv strings or typed YAML values) -> the engine's frames.

Used by examples and tests. Every problem is collected (with its place, e.g.
`evidence[2].quantity`) and raised together as one `FactsError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from contract_specs.model import AttributeType, ContractSpec
from ledger.domain.entitlement.types import (
    EVIDENCE_COLUMNS,
    PARTICIPANT_COLUMNS,
    RESULT_COLUMNS,
    Facts,
)

Row = Mapping[str, object]


@dataclass(frozen=True)
class Problem:
    place: str  # e.g. "evidence[2].quantity"
    message: str  # what is wrong and what to do


class FactsError(ValueError):
    """Rows that cannot become facts; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.place}: {p.message}" for p in problems))


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def text(self, value: object) -> str | None:
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        return str(value).strip()

    def date(self, value: object, place: str, required: bool = True) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(value)
        if text is None:
            if required:
                self.problems.append(Problem(place, "is missing: give a date as YYYY-MM-DD"))
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problems.append(Problem(place, f"{text!r} is not a date: write YYYY-MM-DD"))
            return None

    def decimal(self, value: object, place: str) -> Decimal | None:
        text = self.text(value)
        if text is None:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.problems.append(Problem(place, f"{text!r} is not a number: write e.g. 12.50"))
            return None
        if not number.is_finite():
            self.problems.append(Problem(place, f"{text!r} is not a finite number"))
            return None
        return number

    def boolean(self, value: object, place: str) -> bool | None:
        if isinstance(value, bool):
            return value
        text = self.text(value)
        if text is None:
            return None
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1"):
            return True
        if lowered in ("false", "no", "n", "0"):
            return False
        self.problems.append(Problem(place, f"{text!r} is not true or false"))
        return None

    def integer(self, value: object, place: str) -> int | None:
        number = self.decimal(value, place)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.problems.append(Problem(place, f"{value!r} is not a whole number"))
            return None
        return int(number)

    def required(self, row: Row, name: str, place: str) -> str:
        text = self.text(row.get(name))
        if text is None:
            self.problems.append(Problem(f"{place}.{name}", "is missing: fill it in"))
            return ""
        return text


def _attribute(reader: _Reader, kind: AttributeType, value: object, place: str) -> Any:
    if kind == AttributeType.DATE:
        return reader.date(value, place, required=False)
    if kind == AttributeType.BOOLEAN:
        return reader.boolean(value, place)
    if kind == AttributeType.INTEGER:
        return reader.integer(value, place)
    if kind == AttributeType.DECIMAL:
        number = reader.decimal(value, place)
        return None if number is None else str(number)
    return reader.text(value)


def _dates(values: list[date | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[s]")


def facts_from_rows(
    spec: ContractSpec,
    participants: Sequence[Row],
    evidence: Sequence[Row] = (),
    results: Sequence[Row] = (),
) -> Facts:
    """Typed frames from rows; evidence status defaults to verified; a measure's quantity is
    given in the measure's unit and stored scaled to integer minor units; `submitted_on` (the
    day the row was submitted) may be left out, and is then not known."""
    reader = _Reader()
    people: dict[str, list[Any]] = {name: [] for name in PARTICIPANT_COLUMNS}
    for attribute in spec.attributes:
        people[attribute.name] = []
    for i, row in enumerate(participants):
        place = f"participants[{i}]"
        for name in ("participant_id", "cohort", "provider"):
            people[name].append(reader.required(row, name, place))
        people["start_date"].append(reader.date(row.get("start_date"), f"{place}.start_date"))
        for attribute in spec.attributes:
            value = row.get(attribute.name)
            people[attribute.name].append(
                _attribute(reader, attribute.type, value, f"{place}.{attribute.name}")
            )
    if any("withdrawn_on" in row for row in participants):
        # the day a participant withdrew (an example's boundary of after_withdrawal)
        people["withdrawn_on"] = [
            reader.date(row.get("withdrawn_on"), f"participants[{i}].withdrawn_on", required=False)
            for i, row in enumerate(participants)
        ]

    decimals = {m.id: m.decimals for m in spec.measures}
    metric_ids = {m.id for m in spec.metrics}
    facts: dict[str, list[Any]] = {name: [] for name in EVIDENCE_COLUMNS}
    for i, row in enumerate(evidence):
        place = f"evidence[{i}]"
        for name in ("evidence_id", "participant_id", "metric"):
            facts[name].append(reader.required(row, name, place))
        facts["achieved_on"].append(reader.date(row.get("achieved_on"), f"{place}.achieved_on"))
        facts["evidence_type"].append(reader.text(row.get("evidence_type")) or "")
        facts["status"].append(reader.text(row.get("status")) or "verified")
        facts["submitted_on"].append(
            reader.date(row.get("submitted_on"), f"{place}.submitted_on", required=False)
        )
        metric = facts["metric"][-1]
        quantity = reader.decimal(row.get("quantity"), f"{place}.quantity")
        scaled = None
        if quantity is not None and metric in decimals and metric not in metric_ids:
            shifted = quantity.scaleb(decimals[metric])
            if shifted != shifted.to_integral_value():
                reader.problems.append(
                    Problem(
                        f"{place}.quantity",
                        f"{quantity} has more than {decimals[metric]} decimals for {metric}",
                    )
                )
            else:
                scaled = int(shifted)
        facts["quantity"].append(scaled)

    outcome: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    for i, row in enumerate(results):
        place = f"results[{i}]"
        for name in ("result_id", "metric", "cohort"):
            outcome[name].append(reader.required(row, name, place))
        for name in ("observed", "comparison"):
            number = reader.decimal(row.get(name), f"{place}.{name}")
            if number is None:
                reader.problems.append(Problem(f"{place}.{name}", "is missing: give a number"))
            outcome[name].append(str(number) if number is not None else "0")
        units = reader.integer(row.get("units"), f"{place}.units")
        outcome["units"].append(units or 0)
        outcome["evaluated_on"].append(
            reader.date(row.get("evaluated_on"), f"{place}.evaluated_on")
        )
        outcome["reference"].append(reader.text(row.get("reference")) or "")

    for table, name, values in (
        ("participants", "participant_id", people["participant_id"]),
        ("evidence", "evidence_id", facts["evidence_id"]),
        ("results", "result_id", outcome["result_id"]),
    ):
        seen: set[str] = set()
        for i, value in enumerate(values):
            if value and value in seen:
                reader.problems.append(
                    Problem(f"{table}[{i}].{name}", f"{value!r} is used twice: ids must be unique")
                )
            seen.add(value)
    if reader.problems:
        raise FactsError(reader.problems)
    return Facts(
        participants=_frame(
            people,
            {"start_date": "date", "withdrawn_on": "date"}
            | {a.name: a.type.value for a in spec.attributes},
        ),
        evidence=_frame(
            facts, {"achieved_on": "date", "submitted_on": "date", "quantity": "integer"}
        ),
        results=_frame(outcome, {"evaluated_on": "date", "units": "integer"}),
    )


def _frame(columns: dict[str, list[Any]], types: Mapping[str, str]) -> pd.DataFrame:
    """Columns typed as types.py documents (dates datetime64, integers Int64, flags boolean)."""
    dtypes = {"date": None, "integer": "Int64", "boolean": "boolean"}
    data: dict[str, Any] = {}
    for name, values in columns.items():
        kind = types.get(name, "string")
        if kind == "date":
            data[name] = _dates(values)
        else:
            data[name] = pd.array(values, dtype=dtypes.get(kind) or "str")
    return pd.DataFrame(data)
