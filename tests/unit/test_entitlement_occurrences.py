"""From evidence rows to payable occurrences: status, merging, limits, prerequisites and
quantity thresholds, each with the reason a row counts for nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contract_specs.model import (
    Duration,
    Measure,
    Metric,
    Prerequisite,
    Threshold,
    Verification,
)
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.types import Entitlement
from tests.reference.specs import fact, make_spec, person, prices


def reasons(result: Entitlement) -> dict[str, str]:
    return dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True))


@pytest.mark.parametrize(
    ("status", "verification", "reason"),
    [
        ("verified", Verification.REQUIRED, None),
        ("pending", Verification.REQUIRED, "not_verified"),
        ("pending", Verification.AUTOMATIC, None),  # counts from submission
        ("rejected", Verification.AUTOMATIC, "rejected"),
        ("revoked", Verification.REQUIRED, "revoked"),
        ("revoked", Verification.AUTOMATIC, "revoked"),
    ],
)
def test_status_as_of_the_cut_off(
    status: str, verification: Verification, reason: str | None
) -> None:
    spec = make_spec([Metric("entry", "Entry", tariff=prices("100.00"), verification=verification)])
    facts = facts_from_rows(
        spec, [person("P1")], [fact("E1", "P1", "entry", "2015-03-01", status=status)]
    )
    assert reasons(compute_entitlement(spec, facts)) == ({} if reason is None else {"E1": reason})


def test_reasons_before_occurrences() -> None:
    spec = make_spec(
        [Metric("entry", "Entry", tariff=prices("100.00"), evidence_types=("tenancy",))],
        last_outcome_date=date(2016, 12, 31),
    )
    facts = facts_from_rows(
        spec,
        [person("P1")],
        [
            fact("E1", "P9", "entry", "2015-03-01", evidence_type="tenancy"),
            fact("E2", "P1", "nonsense", "2015-03-01"),
            fact("E3", "P1", "entry", "2015-03-01", evidence_type="letter"),
            fact("E4", "P1", "entry", "2017-01-01", evidence_type="tenancy"),
        ],
    )
    assert reasons(compute_entitlement(spec, facts)) == {
        "E1": "not_enrolled",
        "E2": "unknown_metric",
        "E3": "evidence_type_not_accepted",
        "E4": "after_last_outcome_date",
    }


def test_same_day_rows_are_one_occurrence_and_the_limit_counts_occurrences() -> None:
    spec = make_spec([Metric("visit", "Visit", tariff=prices("50.00"), max_per_participant=2)])
    facts = facts_from_rows(
        spec,
        [person("P1")],
        [
            fact("E3", "P1", "visit", "2015-03-01"),
            fact("E1", "P1", "visit", "2015-03-01"),
            fact("E2", "P1", "visit", "2015-04-01"),
            fact("E4", "P1", "visit", "2015-05-01"),
        ],
    )
    result = compute_entitlement(spec, facts)
    lines = result.lines.sort_values("occurrence")
    assert lines.evidence_ids.tolist() == ["E1;E3", "E2"]
    assert lines.occurrence.tolist() == [1, 2]
    assert reasons(result) == {"E4": "limit_per_participant"}


def test_an_unpaid_prerequisite_still_counts_and_the_earliest_one_decides() -> None:
    # entry is limited to one payment, but the second (unpaid) entry does not matter: the first
    # valid entry is early enough for both sustained outcomes
    spec = make_spec(
        [
            Metric("entry", "Entry", tariff=prices("100.00")),
            Metric(
                "sustained",
                "Sustained",
                tariff=prices("300.00"),
                max_per_participant=2,
                prerequisites=(Prerequisite("entry", Duration(days=91)),),
            ),
        ]
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-01-01"), person("P2", "2015-01-01")],
        [
            fact("E1", "P1", "entry", "2015-02-01"),
            fact("E2", "P1", "entry", "2015-06-01"),
            fact("E3", "P1", "sustained", "2015-05-03"),  # 91 days after E1
            fact("E4", "P1", "sustained", "2015-05-02"),  # 90 days: too early
            # P2's entry was rejected: a restarted clock needs a valid entry
            fact("E5", "P2", "entry", "2015-02-01", status="rejected"),
            fact("E6", "P2", "sustained", "2015-06-01"),
        ],
    )
    result = compute_entitlement(spec, facts)
    assert reasons(result) == {
        "E2": "limit_per_participant",
        "E4": "prerequisite_not_met",
        "E5": "rejected",
        "E6": "prerequisite_not_met",
    }
    assert set(result.lines.evidence_ids) == {"E1", "E3"}


def test_quantity_threshold_is_achieved_on_the_first_day_the_total_reaches_it() -> None:
    earnings = Measure("earnings", "Earnings", "GBP", decimals=2)
    spec = make_spec(
        [
            Metric(
                "earned_768",
                "768",
                tariff=prices("300.00"),
                threshold=Threshold("earnings", Decimal("768")),
            ),
            Metric(
                "earned_1631",
                "1631",
                tariff=prices("400.00"),
                threshold=Threshold("earnings", Decimal("1631")),
            ),
        ],
        measures=(earnings,),
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-02-01")],
        [
            fact("E0", "P1", "earnings", "2015-01-15", quantity="5000.00"),  # before start
            fact("E1", "P1", "earnings", "2015-03-01", quantity="500.00"),
            fact("E2", "P1", "earnings", "2015-04-01", quantity="267.99"),  # 767.99: a penny short
            fact("E3", "P1", "earnings", "2015-05-01", quantity="0.01"),  # exactly 768.00
            fact("E4", "P1", "earnings", "2015-06-01", quantity="862.99"),  # 1630.99
            fact("E5", "P1", "earnings", "2015-07-01"),  # no quantity
        ],
    )
    result = compute_entitlement(spec, facts)
    lines = result.lines.set_index("metric")
    assert lines.loc["earned_768", "achieved_on"].date().isoformat() == "2015-05-01"
    assert lines.loc["earned_768", "evidence_ids"] == "E1;E2;E3"
    assert "earned_1631" not in lines.index
    assert reasons(result) == {
        "E0": "before_start",
        "E4": "threshold_not_reached",
        "E5": "quantity_missing",
    }


def test_threshold_metric_window_applies_on_the_crossing_day() -> None:
    spec = make_spec(
        [
            Metric(
                "hours_100",
                "100 hours",
                tariff=prices("250.00"),
                threshold=Threshold("hours", Decimal("100")),
                window=Duration(months=2),
            )
        ],
        measures=(Measure("hours", "Guided learning hours", "hours", decimals=1),),
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-02-01")],
        [
            fact("E1", "P1", "hours", "2015-03-01", quantity="60.5"),
            fact("E2", "P1", "hours", "2015-04-02", quantity="39.5"),  # 100 after the window
        ],
    )
    result = compute_entitlement(spec, facts)
    assert result.lines.empty
    assert reasons(result) == {"E1": "outside_window", "E2": "outside_window"}
    # the detail names the window's end (start + 2 months), not a personal detail
    assert all(d.endswith("window ends 2015-04-01") for d in result.not_payable.detail)


def test_a_measure_row_backing_several_milestones_counts_if_one_of_them_counts() -> None:
    spec = make_spec(
        [
            Metric(
                "hours_10",
                "10 hours",
                tariff=prices("100.00"),
                threshold=Threshold("hours", Decimal("10")),
            ),
            Metric(
                "hours_20",
                "20 hours",
                tariff=prices("100.00"),
                threshold=Threshold("hours", Decimal("20")),
                window=Duration(days=30),
            ),
        ],
        measures=(Measure("hours", "Hours", "hours", decimals=0),),
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-02-01"), person("P2", "2015-02-01")],
        [
            # P1: E1 backs both milestones; hours_20 is reached after its window, hours_10 pays
            fact("E1", "P1", "hours", "2015-02-10", quantity="12"),
            fact("E2", "P1", "hours", "2015-03-20", quantity="8"),
            # P2: a rejected row leaves 15 hours: E4 backs only hours_10, which pays
            fact("E3", "P2", "hours", "2015-02-10", quantity="5", status="rejected"),
            fact("E4", "P2", "hours", "2015-02-11", quantity="15"),
        ],
    )
    result = compute_entitlement(spec, facts)
    assert set(zip(result.lines.participant_id, result.lines.metric, strict=True)) == {
        ("P1", "hours_10"),
        ("P2", "hours_10"),
    }
    assert reasons(result) == {"E2": "outside_window", "E3": "rejected"}


def test_categorical_columns_give_the_same_entitlement_as_strings() -> None:
    spec = make_spec([Metric("entry", "Entry", tariff=prices("100.00"))])
    facts = facts_from_rows(
        spec,
        [person("P1"), person("P2")],
        [
            fact("E1", "P1", "entry", "2015-03-01"),
            fact("E2", "P3", "entry", "2015-03-01"),
            fact("E3", "P2", "entry", "2015-03-02", status="pending"),
        ],
    )
    coded = type(facts)(
        participants=facts.participants.astype({"cohort": "category", "provider": "category"}),
        evidence=facts.evidence.astype(
            {c: "category" for c in ("participant_id", "metric", "evidence_type", "status")}
        ),
        results=facts.results,
    )
    plain, categorical = compute_entitlement(spec, facts), compute_entitlement(spec, coded)
    assert (
        plain.lines.drop(columns="reason")
        .astype(str)
        .equals(categorical.lines.drop(columns="reason").astype(str))
    )
    assert reasons(plain) == reasons(categorical) == {"E2": "not_enrolled", "E3": "not_verified"}


def test_no_facts_give_empty_frames_with_every_column() -> None:
    from ledger.domain.entitlement.types import LINE_COLUMNS, NOT_PAYABLE_COLUMNS

    spec = make_spec([Metric("entry", "Entry", tariff=prices("100.00"))])
    result = compute_entitlement(spec, facts_from_rows(spec, [], [], []))
    assert tuple(result.lines.columns) == LINE_COLUMNS
    assert tuple(result.not_payable.columns) == NOT_PAYABLE_COLUMNS
    assert result.lines.empty and result.not_payable.empty
    # the same column types as when there are rows
    assert str(result.lines["participant_id"].dtype) == "str"
    assert str(result.not_payable["evidence_id"].dtype) == "str"
    assert result.lines["amount"].dtype == "int64"
