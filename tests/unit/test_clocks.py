"""A clock that restarts and an interruption that stops it (issue 16, item 1): "sustained 6
months from the latest accommodation entry", "with no abandonment in between"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from contract_specs.model import ClockFrom, ContractSpec, Duration, Event, Metric, Prerequisite
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import fact, make_spec, metric, person, prices


def spec_of(measured_from: ClockFrom, interrupted_by: tuple[str, ...] = ()) -> ContractSpec:
    sustained = Metric(
        "sustained_6m",
        "Sustained 6 months",
        tariff=prices("1000.00"),
        prerequisites=(Prerequisite("entry", Duration(months=6), measured_from, interrupted_by),),
    )
    spec = make_spec([metric("entry", "500.00", max_per_participant=3), sustained])
    events = (Event("abandonment", "Accommodation abandoned"), Event("eviction", "Evicted"))
    return replace(spec, events=events)


def outcome(spec: ContractSpec, evidence: list[dict[str, Any]]) -> tuple[bool, dict[str, str]]:
    """Whether sustained_6m was paid, and the not-payable reasons (engine = reference)."""
    rows: tuple[list[Any], list[Any], list[Any]] = ([person("P1", "2015-01-05")], evidence, [])
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    reasons = dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True))
    reference = reference_entitlement(spec, *rows)
    assert reference.not_payable == reasons
    paid = result.lines[result.lines["metric"] == "sustained_6m"]["amount"].sum()
    assert sum(x.amount for x in reference.lines if x.metric == "sustained_6m") == paid
    return bool(paid), reasons


ENTRY = fact("E1", "P1", "entry", "2015-01-10")


@pytest.mark.parametrize(
    ("claimed", "paid"),
    [("2015-07-09", False), ("2015-07-10", True), ("2015-07-11", True)],
)
def test_six_months_from_an_entry_the_day_before_of_and_after(claimed: str, paid: bool) -> None:
    spec = spec_of(ClockFrom.LATEST, ("abandonment",))
    got, reasons = outcome(spec, [ENTRY, fact("S1", "P1", "sustained_6m", claimed)])
    assert got is paid
    assert reasons == ({} if paid else {"S1": "prerequisite_not_met"})


def test_a_new_entry_restarts_the_clock_only_when_measured_from_the_latest() -> None:
    again = fact("E2", "P1", "entry", "2015-04-01")
    claimed = fact("S1", "P1", "sustained_6m", "2015-07-10")
    assert outcome(spec_of(ClockFrom.ANY), [ENTRY, again, claimed]) == (True, {})
    assert outcome(spec_of(ClockFrom.LATEST), [ENTRY, again, claimed]) == (
        False,
        {"S1": "prerequisite_not_met"},
    )
    # six months from the new entry
    later = fact("S2", "P1", "sustained_6m", "2015-10-01")
    assert outcome(spec_of(ClockFrom.LATEST), [ENTRY, again, later]) == (True, {})


@pytest.mark.parametrize(
    ("abandoned", "interrupted"),
    [
        ("2015-01-10", False),  # the day of the entry: it ended what came before
        ("2015-01-11", True),  # the day after the entry
        ("2015-07-09", True),  # the day before the outcome
        ("2015-07-10", False),  # the day of the outcome: six months were sustained
    ],
)
@pytest.mark.parametrize("measured_from", list(ClockFrom))
def test_an_interruption_strictly_between_entry_and_outcome_stops_the_clock(
    abandoned: str, interrupted: bool, measured_from: ClockFrom
) -> None:
    spec = spec_of(measured_from, ("abandonment",))
    evidence = [
        ENTRY,
        fact("A1", "P1", "abandonment", abandoned),
        fact("S1", "P1", "sustained_6m", "2015-07-10"),
    ]
    paid, reasons = outcome(spec, evidence)
    assert paid is not interrupted
    assert reasons == ({"S1": "interrupted"} if interrupted else {})


def test_only_the_named_events_interrupt_and_only_valid_ones() -> None:
    spec = spec_of(ClockFrom.LATEST, ("abandonment",))
    evidence = [
        ENTRY,
        fact("V1", "P1", "eviction", "2015-03-01"),  # not named by this prerequisite
        fact("A1", "P1", "abandonment", "2015-03-01", status="rejected"),
        fact("S1", "P1", "sustained_6m", "2015-07-10"),
    ]
    assert outcome(spec, evidence) == (True, {"A1": "rejected"})


def test_after_an_interruption_a_new_entry_starts_a_new_clock() -> None:
    spec = spec_of(ClockFrom.ANY, ("abandonment", "eviction"))
    evidence = [
        ENTRY,
        fact("V1", "P1", "eviction", "2015-03-01"),
        fact("E2", "P1", "entry", "2015-04-01"),
        fact("S1", "P1", "sustained_6m", "2015-09-30"),  # the day before 6 months from E2
        fact("S2", "P1", "sustained_6m", "2015-10-01"),
    ]
    paid, reasons = outcome(spec, evidence)
    assert paid and reasons == {"S1": "interrupted"}
    result = compute_entitlement(
        spec, facts_from_rows(spec, [person("P1", "2015-01-05")], evidence)
    )
    (detail,) = result.not_payable.detail
    assert "abandonment" in detail and "entry" in detail


def test_an_upload_may_name_an_event_and_no_unknown_thing() -> None:
    import pandas as pd
    import pyarrow as pa

    from ledger.intake.row_checks import ROW, RowChecks
    from ledger.services.evidence import Enrolled, check_rows

    rows = {
        "evidence_id": ["A1", "A2"],
        "participant_id": ["P1", "P1"],
        "metric": ["abandonment", "abandonmnet"],
        "achieved_on": ["2015-05-01", "2015-05-01"],
        "evidence_type": ["", ""],
        "quantity": ["", ""],
        "reference": ["", ""],
    }
    frame = pd.DataFrame(
        {ROW: pd.array([2, 3], dtype="int64")}
        | {name: pd.array(values, dtype="str") for name, values in rows.items()}
    )
    checks = RowChecks("evidence.csv", frame)
    enrolled = Enrolled(keys=pa.array(["acme/P1"]), providers=pa.array(["acme"]))
    check_rows(checks, spec_of(ClockFrom.LATEST, ("abandonment",)), enrolled, provider="acme")
    found = [(e.row, e.column, e.message) for e in checks.errors]
    assert [(row, column) for row, column, _ in found] == [(3, "metric")]
    assert "abandonment" in found[0][2]
