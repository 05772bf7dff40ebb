"""Per-person payments on a quantity (issue 16, item 4): a price per unit (per care-day) and a
per-person sliding scale (0% at or below a lower improvement, 100% at or above an upper one)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contract_specs.model import ContractSpec, Measure, Metric, PersonScale, PerUnit
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import fact, make_spec, person, prices


def spec_of() -> ContractSpec:
    return make_spec(
        [
            Metric(
                "care_days_paid",
                "Care days",
                tariff=prices("12.345"),
                per_unit=PerUnit("care_days", Decimal("10")),
            ),
            Metric(
                "wellbeing",
                "Wellbeing improvement",
                tariff=prices("400.00"),
                scale=PersonScale("points", Decimal("2"), Decimal("6")),
            ),
        ],
        measures=(
            Measure("care_days", "Care days", "days", decimals=0),
            Measure("points", "Wellbeing points gained", "points", decimals=1),
        ),
    )


def run(evidence: list[dict[str, Any]], people: list[str]) -> tuple[dict[Any, int], dict[str, str]]:
    """{(participant, metric, n, day): amount} and the reasons; the reference agrees."""
    spec = spec_of()
    rows: tuple[list[Any], list[Any], list[Any]] = (
        [person(p, "2015-02-02") for p in people],
        evidence,
        [],
    )
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    lines = {
        (x.participant_id, x.metric, int(x.occurrence), x.achieved_on.date().isoformat()): int(
            x.amount
        )
        for x in result.lines.itertuples()
    }
    reasons = dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True))
    reference = reference_entitlement(spec, *rows)
    assert {
        (x.participant_id, x.metric, x.occurrence, x.achieved_on.isoformat()): x.amount
        for x in reference.lines
    } == lines
    assert reference.not_payable == reasons
    return lines, reasons


def days(pid: str, eid: str, day: str, units: str) -> dict[str, Any]:
    return fact(eid, pid, "care_days", day, quantity=Decimal(units))


def test_each_day_is_paid_its_units_corrections_net_off_and_max_units_cuts() -> None:
    lines, reasons = run(
        [
            days("P1", "D1", "2015-03-01", "3"),  # 3 x 12.345 = 37.035 -> 37.04
            days("P1", "D2", "2015-03-02", "4"),
            days("P1", "D3", "2015-03-02", "-4"),  # corrects its own day to 0
            days("P1", "D4", "2015-03-03", "7"),  # 10 in all: at max_units, 86.415 -> 86.42
            days("P1", "D5", "2015-03-04", "1"),  # above it
            days("P2", "D6", "2015-03-01", "9"),  # below max_units
            days("P2", "D7", "2015-03-02", "2"),  # crosses it: 1 unit paid
        ],
        ["P1", "P2"],
    )
    assert lines == {
        ("P1", "care_days_paid", 1, "2015-03-01"): 3704,
        ("P1", "care_days_paid", 2, "2015-03-03"): 8642,
        ("P2", "care_days_paid", 1, "2015-03-01"): 11111,  # 111.105 -> 111.11
        ("P2", "care_days_paid", 2, "2015-03-02"): 1235,  # 12.345 -> 12.35
    }
    assert reasons == {"D2": "no_units", "D3": "no_units", "D5": "max_units_reached"}


def points(pid: str, eid: str, day: str, gained: str) -> dict[str, Any]:
    return fact(eid, pid, "points", day, quantity=Decimal(gained))


def test_the_scale_pays_a_share_of_the_price_on_the_latest_measurement() -> None:
    lines, reasons = run(
        [
            points("P3", "W1", "2015-04-01", "2.0"),  # at the lower end: nothing
            points("P4", "W2", "2015-04-01", "3.0"),
            points("P4", "W3", "2015-06-01", "1.0"),  # 4.0: half way, dated 1 June
            points("P5", "W4", "2015-04-01", "6.0"),  # at the upper end
            points("P6", "W5", "2015-04-01", "6.1"),  # above it
            points("P7", "W6", "2015-04-01", "2.1"),  # just above the lower end: 400 x 0.1/4
        ],
        ["P3", "P4", "P5", "P6", "P7"],
    )
    assert lines == {
        ("P4", "wellbeing", 1, "2015-06-01"): 20000,
        ("P5", "wellbeing", 1, "2015-04-01"): 40000,
        ("P6", "wellbeing", 1, "2015-04-01"): 40000,
        ("P7", "wellbeing", 1, "2015-04-01"): 1000,
    }
    assert reasons == {"W1": "below_scale"}


def test_a_row_naming_a_quantity_metric_itself_counts_for_nothing() -> None:
    _, reasons = run([fact("X1", "P1", "care_days_paid", "2015-03-01")], ["P1"])
    assert reasons == {"X1": "threshold_not_claimable"}
