"""What works for whom: outcome rates by provider or by a participant attribute. Pure.

Groups are the providers (when a report covers several) and the values of every boolean or
listed-value attribute the spec declares. A group with fewer than `min_size` participants has
its numbers withheld and says so: small groups are easily over-read, and a count of one or two
people can identify someone.
"""

from __future__ import annotations

import pandas as pd

from contract_specs.model import AttributeType, ContractSpec
from reporting.progress import achievers
from reporting.report import Column, Kind, Table, percent

MIN_GROUP = 10
UNSET = "(not given)"

GROUP_COLUMNS = (
    Column("by"),
    Column("group"),
    Column("metric"),
    Column("participants", Kind.INTEGER),
    Column("achieved", Kind.INTEGER),
    Column("rate", Kind.PERCENT),
    Column("note"),
)


def withdrawals_line(count: int) -> str:
    """A report's count of withdrawals, in words: how many, never who."""
    people = "participant has" if count == 1 else "participants have"
    return (
        f"{count} {people} withdrawn their consent: nothing achieved or sent after a "
        "withdrawal is paid, and they are left out of the analysis by group"
    )


def _value(attributes: object, name: str, kind: AttributeType) -> str:
    value = attributes.get(name) if isinstance(attributes, dict) else None
    if kind is AttributeType.BOOLEAN:
        # an unset optional flag reads as false, as the engine reads it
        return "true" if value is True or str(value).lower() == "true" else "false"
    return UNSET if value in (None, "") else str(value)


def groupings(spec: ContractSpec, people: pd.DataFrame) -> list[tuple[str, dict[str, str]]]:
    """(what the grouping is by, participant id -> group) for each grouping worth showing."""
    found: list[tuple[str, dict[str, str]]] = []
    ids = [str(p) for p in people["participant_id"]]
    providers = [str(p) for p in people["provider"]]
    if len(set(providers)) > 1:
        found.append(("provider", dict(zip(ids, providers, strict=True))))
    for attribute in spec.attributes:
        if attribute.type is AttributeType.BOOLEAN or attribute.values:
            values = [_value(a, attribute.name, attribute.type) for a in people["attributes"]]
            found.append((attribute.name, dict(zip(ids, values, strict=True))))
    return found


def by_group(
    spec: ContractSpec, people: pd.DataFrame, evidence: pd.DataFrame, min_size: int = MIN_GROUP
) -> Table:
    """Per grouping, group and metric: participants, how many achieved it, and the rate."""
    achieved = achievers(evidence)
    rows: list[tuple[object, ...]] = []
    for by, group_of in groupings(spec, people):
        for group in sorted(set(group_of.values())):
            members = {p for p, g in group_of.items() if g == group}
            for metric in spec.metrics:
                if len(members) < min_size:
                    note = f"fewer than {min_size} participants: numbers withheld"
                    rows.append((by, group, metric.id, None, None, None, note))
                    continue
                count = len(achieved.get(metric.id, set()) & members)
                rows.append(
                    (by, group, metric.id, len(members), count, percent(count, len(members)), "")
                )
    frame = pd.DataFrame(rows, columns=[c.name for c in GROUP_COLUMNS], dtype="object")
    return Table(
        "by_group",
        "What works for whom",
        GROUP_COLUMNS,
        frame,
        f"outcome rates by provider and attribute; groups under {min_size} withheld",
    )
