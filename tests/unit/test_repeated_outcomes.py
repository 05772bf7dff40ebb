"""Repeated outcomes (issue 16, item 2): a minimum spacing between occurrences ("a wellbeing
assessment at most once per 3 months") and a price by occurrence number ("first 100, then 50")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from contract_specs.model import Cohort, ContractSpec, Dated, Duration, Metric, Schedule
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import START, fact, make_spec, person, prices


def by_occurrence(*values: str) -> Schedule[tuple[Decimal, ...]]:
    return Schedule((Dated(START, tuple(Decimal(v) for v in values)),))


def assessment_spec(**fields: Any) -> ContractSpec:
    metric = Metric(
        "assessment",
        "Wellbeing assessment",
        tariff=prices("100.00"),
        max_per_participant=5,
        **fields,
    )
    return make_spec([metric])


def paid(
    spec: ContractSpec, evidence: list[dict[str, Any]]
) -> tuple[dict[Any, int], dict[str, str]]:
    """{(occurrence n, day): amount} and the not-payable reasons, checked against the reference."""
    rows: tuple[list[Any], list[Any], list[Any]] = ([person("P1", "2015-01-05")], evidence, [])
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    lines = {
        (int(line.occurrence), line.achieved_on.date().isoformat()): int(line.amount)
        for line in result.lines.itertuples()
    }
    reasons = dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True))
    reference = reference_entitlement(spec, *rows)
    assert {(x.occurrence, x.achieved_on.isoformat()): x.amount for x in reference.lines} == lines
    assert reference.not_payable == reasons
    return lines, reasons


def test_an_occurrence_counts_from_the_previous_counted_one_plus_the_spacing() -> None:
    spec = assessment_spec(min_spacing=Duration(months=3))
    lines, reasons = paid(
        spec,
        [
            fact("E1", "P1", "assessment", "2015-01-15"),
            fact("E2", "P1", "assessment", "2015-04-14"),  # the day before 3 months: too soon
            fact("E3", "P1", "assessment", "2015-04-15"),  # the day of: counts, the clock moves
            fact("E4", "P1", "assessment", "2015-07-14"),  # 3 months after E3 less a day
            fact("E5", "P1", "assessment", "2015-07-16"),  # the day after: counts
        ],
    )
    assert lines == {(1, "2015-01-15"): 10000, (2, "2015-04-15"): 10000, (3, "2015-07-16"): 10000}
    assert reasons == {"E2": "too_soon_after_previous", "E4": "too_soon_after_previous"}
    evidence = [
        fact("E1", "P1", "assessment", "2015-01-15"),
        fact("E2", "P1", "assessment", "2015-02-15"),
    ]
    facts = facts_from_rows(spec, [person("P1", "2015-01-05")], evidence)
    assert list(compute_entitlement(spec, facts).not_payable.detail) == [
        "assessment counts only 3 months after the previous one that counted"
    ]


def test_a_too_soon_occurrence_does_not_restart_the_spacing() -> None:
    spec = assessment_spec(min_spacing=Duration(months=1))
    lines, reasons = paid(
        spec,
        [
            fact("E1", "P1", "assessment", "2015-01-31"),
            fact("E2", "P1", "assessment", "2015-02-27"),  # too soon (31 Jan + 1 month = 28 Feb)
            fact("E3", "P1", "assessment", "2015-02-28"),  # measured from E1, not from E2
        ],
    )
    assert set(lines) == {(1, "2015-01-31"), (2, "2015-02-28")}
    assert reasons == {"E2": "too_soon_after_previous"}


def test_the_price_follows_the_occurrence_number_the_last_for_every_later_one() -> None:
    spec = assessment_spec(tariff_by_occurrence=by_occurrence("100.00", "60.00", "25.50"))
    days = ["2015-02-01", "2015-03-01", "2015-04-01", "2015-05-01", "2015-06-01", "2015-07-01"]
    lines, reasons = paid(
        spec, [fact(f"E{i}", "P1", "assessment", d) for i, d in enumerate(days, start=1)]
    )
    assert [lines[key] for key in sorted(lines)] == [10000, 6000, 2550, 2550, 2550]
    assert reasons == {"E6": "limit_per_participant"}


def test_a_cohort_override_prices_by_occurrence_too() -> None:
    metric = Metric(
        "assessment",
        "Wellbeing assessment",
        tariff=prices("100.00"),
        max_per_participant=2,
        tariff_by_occurrence=by_occurrence("100.00", "80.00"),
    )
    cohort = Cohort(
        "c1",
        "Cohort 1",
        START,
        date(2016, 12, 31),
        tariffs={"assessment": prices("30.00")},
        tariffs_by_occurrence={"assessment": by_occurrence("30.00", "10.00")},
    )
    spec = make_spec([metric], cohorts=[cohort])
    lines, _ = paid(
        spec,
        [
            fact("E1", "P1", "assessment", "2015-02-01"),
            fact("E2", "P1", "assessment", "2015-03-01"),
        ],
    )
    assert lines == {(1, "2015-02-01"): 3000, (2, "2015-03-01"): 1000}


def test_the_commissioner_report_quotes_the_price_of_the_occurrence() -> None:
    from reporting.payment_lines import tariff_in_force

    spec = assessment_spec(tariff_by_occurrence=by_occurrence("100.00", "60.00"))
    day = date(2015, 3, 1)
    assert [tariff_in_force(spec, "c1", "assessment", day, n) for n in (1, 2, 3)] == [
        10000,
        6000,
        6000,
    ]
