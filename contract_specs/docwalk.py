"""Safe reading of a parsed (maybe invalid) spec document, for the semantic checks.

The checks run even when the schema check failed somewhere else, so that an author sees every
problem in one pass. These helpers skip whatever is malformed (the schema check reports it)
instead of raising.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from contract_specs.model import CURRENCY_EXPONENTS

Doc = dict[str, Any]


def mapping(value: Any) -> Doc:
    """`value` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> Iterator[tuple[int, Doc]]:
    """(index, item) for each mapping in a list; anything else yields nothing."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def entry_prices(entry: Doc) -> list[Any]:
    """The prices a tariff entry writes: its `price`, or each of its `prices` (by occurrence)."""
    listed = entry.get("prices")
    return [entry.get("price"), *(listed if isinstance(listed, list) else [])]


def as_text(value: Any) -> str | None:
    """`value` if it is text, else None."""
    return value if isinstance(value, str) else None


def as_date(value: Any) -> date | None:
    """An ISO date string as a date, else None."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_decimal(value: Any) -> Decimal | None:
    """A decimal string (or whole number) as a Decimal, else None. Never from a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def decimal_places(number: Decimal) -> int:
    """How many decimals were written: Decimal("1.50") has 2."""
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass
class Names:
    """The ids a spec declares, for reference checks (first declaration wins on duplicates)."""

    parties: dict[str, str] = field(default_factory=dict)  # id -> role
    payers: list[str] = field(default_factory=list)
    cohorts: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    cohort_metrics: list[str] = field(default_factory=list)
    measures: dict[str, int] = field(default_factory=dict)  # id -> decimals
    events: list[str] = field(default_factory=list)
    attributes: dict[str, Doc] = field(default_factory=dict)
    consents: list[str] = field(default_factory=list)
    exponent: int | None = None

    @classmethod
    def of(cls, doc: Doc) -> Names:
        """Collect the declared names of a document."""
        names = cls()
        for _, party in entries(doc.get("parties")):
            if isinstance(party.get("id"), str):
                names.parties.setdefault(party["id"], str(party.get("role")))
        for _, payer in entries(doc.get("payers")):
            if isinstance(payer.get("party"), str):
                names.payers.append(payer["party"])
        names.cohorts = _ids(doc.get("cohorts"))
        names.metrics = _ids(doc.get("metrics"))
        names.cohort_metrics = _ids(doc.get("cohort_metrics"))
        names.events = _ids(doc.get("events"))
        for _, measure in entries(doc.get("measures")):
            decimals = measure.get("decimals", 2)
            if isinstance(measure.get("id"), str):
                names.measures.setdefault(
                    measure["id"], decimals if isinstance(decimals, int) else 2
                )
        names.attributes = {
            name: mapping(declared) for name, declared in mapping(doc.get("attributes")).items()
        }
        names.consents = list(mapping(doc.get("consents")))
        currency = mapping(doc.get("contract")).get("currency")
        names.exponent = CURRENCY_EXPONENTS.get(currency) if isinstance(currency, str) else None
        return names


def _ids(value: Any) -> list[str]:
    return [item["id"] for _, item in entries(value) if isinstance(item.get("id"), str)]


def listing(options: list[str] | dict[str, Any]) -> str:
    """Known names for a message: "a, b, c", or "none declared"."""
    names = list(options)
    return ", ".join(names) if names else "none declared"
