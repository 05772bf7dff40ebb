"""Semantic checks of the optional `triggers:` section (management triggers).

A trigger compares one metric's rate against the occurrences of another, so both must be
individual metrics and differ; it flags below or above a percentage, so exactly one of the two
is given, between 0 and 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from contract_specs.checks_refs import ref
from contract_specs.docwalk import Doc, Names, as_decimal, entries
from contract_specs.findings import Finding, error, jpath

_BOUNDS = ("below_percent", "above_percent")


def check_triggers(doc: Doc, names: Names) -> Iterator[Finding]:
    """Every problem of `triggers`: unknown or equal metrics, the bound, duplicate ids."""
    seen: dict[str, str] = {}
    for i, trigger in entries(doc.get("triggers")):
        trigger_id = trigger.get("id")
        if isinstance(trigger_id, str):
            if trigger_id in seen:
                yield error(
                    jpath("triggers", i, "id"),
                    f"trigger id `{trigger_id}` is already used at {seen[trigger_id]}: "
                    "give each trigger its own id",
                )
            seen.setdefault(trigger_id, jpath("triggers", i, "id"))
        for key in ("metric", "of"):
            yield from ref(jpath("triggers", i, key), trigger.get(key), "metric", names)
        if trigger.get("metric") is not None and trigger.get("metric") == trigger.get("of"):
            yield error(
                jpath("triggers", i, "of"),
                "`of` names the metric itself: give the metric whose occurrences the rate is "
                "taken of (e.g. the entry a sustainment follows)",
            )
        given = [key for key in _BOUNDS if key in trigger]
        if len(given) != 1:
            yield error(
                jpath("triggers", i),
                "give exactly one of `below_percent` and `above_percent` (the rate that flags)",
            )
        for key in given:
            value = as_decimal(trigger.get(key))
            if value is not None and not Decimal(0) <= value <= Decimal(100):
                yield error(
                    jpath("triggers", i, key),
                    f"{value} is not a percentage a rate can reach: write one from 0 to 100",
                )
