"""Time cannot run backwards: evidence counts only for an outcome achieved on or before the day
it was submitted (issue 13, finding 4). Evidence dated after its own submission is a claim about
the future: it is not payable, and says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contract_specs.model import Duration, Measure, Metric, Prerequisite, Threshold
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.types import Entitlement
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import fact, make_spec, metric, person, prices


def reasons(result: Entitlement) -> dict[str, str]:
    return dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True))


def paid(result: Entitlement) -> dict[tuple[str, str], int]:
    lines = result.lines
    return {
        (r.participant_id, r.metric): int(r.amount)
        for r in lines.itertuples(index=False)
        if r.amount
    }


def submitted(day: str) -> dict[str, date]:
    return {"submitted_on": date.fromisoformat(day)}


def test_an_outcome_dated_after_its_submission_is_not_payable_and_says_why() -> None:
    spec = make_spec([metric("entry", "500.00")])
    rows = [
        fact("E1", "P1", "entry", "2015-03-02", **submitted("2015-03-01")),  # tomorrow
        fact("E2", "P2", "entry", "2015-03-01", **submitted("2015-03-01")),  # today: counts
    ]
    people = [person("P1"), person("P2")]
    result = compute_entitlement(spec, facts_from_rows(spec, people, rows))
    assert paid(result) == {("P2", "entry"): 50000}
    assert reasons(result) == {"E1": "achieved_after_submission"}
    detail = result.not_payable.set_index("evidence_id").loc["E1", "detail"]
    assert detail == "achieved 2015-03-02 after it was submitted on 2015-03-01"
    assert reference_entitlement(spec, people, rows, []).not_payable == {
        "E1": "achieved_after_submission"
    }


def test_a_row_without_a_submission_date_is_judged_on_its_other_rules() -> None:
    spec = make_spec([metric("entry", "500.00")])
    facts = facts_from_rows(spec, [person("P1")], [fact("E1", "P1", "entry", "2015-03-02")])
    assert paid(compute_entitlement(spec, facts)) == {("P1", "entry"): 50000}


def test_the_check_comes_after_the_verification_and_before_the_start_date() -> None:
    spec = make_spec([metric("entry", "500.00")])
    rows = [
        fact("E1", "P1", "entry", "2015-03-02", status="rejected", **submitted("2015-03-01")),
        fact("E2", "P1", "entry", "2015-01-10", **submitted("2015-01-09")),  # before start too
    ]
    result = compute_entitlement(spec, facts_from_rows(spec, [person("P1")], rows))
    assert reasons(result) == {"E1": "rejected", "E2": "achieved_after_submission"}


def test_a_future_dated_prerequisite_enables_nothing() -> None:
    entry = metric("entry", "100.00")
    sustained = Metric(
        "sustained",
        "Sustained",
        tariff=prices("900.00"),
        prerequisites=(Prerequisite("entry", Duration(days=30)),),
    )
    spec = make_spec([entry, sustained])
    rows = [
        # the entry claims a date after it was submitted; the sustained outcome relies on it
        fact("E1", "P1", "entry", "2015-03-01", **submitted("2015-02-20")),
        fact("E2", "P1", "sustained", "2015-04-10", **submitted("2015-04-11")),
    ]
    result = compute_entitlement(spec, facts_from_rows(spec, [person("P1")], rows))
    assert paid(result) == {}
    assert reasons(result) == {
        "E1": "achieved_after_submission",
        "E2": "prerequisite_not_met",
    }


def test_a_future_dated_quantity_counts_towards_no_threshold() -> None:
    hours = Measure("hours", "Hours", unit="hours", decimals=0)
    milestone = Metric(
        "ten_hours",
        "Ten hours",
        tariff=prices("300.00"),
        threshold=Threshold("hours", Decimal(10)),
    )
    spec = make_spec([milestone], measures=[hours])
    rows = [
        fact("H1", "P1", "hours", "2015-03-01", quantity=Decimal(6), **submitted("2015-03-05")),
        # the four hours that would reach the milestone are dated after their submission
        fact("H2", "P1", "hours", "2015-03-10", quantity=Decimal(4), **submitted("2015-03-06")),
    ]
    people = [person("P1")]
    result = compute_entitlement(spec, facts_from_rows(spec, people, rows))
    assert paid(result) == {}
    assert reasons(result) == {"H1": "threshold_not_reached", "H2": "achieved_after_submission"}
    assert reference_entitlement(spec, people, rows, []).not_payable == reasons(result)
