"""Findings an intermediary acts on: slow verification, unclaimed outcomes, caps, late periods."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from contract_specs.model import (
    Contract,
    ContractCaps,
    ContractSpec,
    Dated,
    Duration,
    Frequency,
    Metric,
    MetricCaps,
    Payer,
    Prerequisite,
    Schedule,
)
from reconciliation.findings import (
    awaiting_verification,
    bucket_of,
    caps_near_exhaustion,
    likely_unclaimed,
    unreconciled_periods,
)


def tariff(price: str) -> Schedule[Decimal]:
    return Schedule((Dated(date(2015, 1, 1), Decimal(price)),))


SPEC = ContractSpec(
    contract=Contract(
        id="fcf",
        name="Fair Chance",
        currency="GBP",
        payment_frequency=Frequency.QUARTERLY,
        service_start=date(2015, 1, 1),
        last_outcome_date=date(2016, 12, 31),
    ),
    parties=(),
    attributes=(),
    cohorts=(),
    metrics=(
        Metric("entry", "Move into accommodation", tariff("500"), caps=MetricCaps(count=10)),
        Metric(
            "sustained_3m",
            "Sustained 3 months",
            tariff("1500"),
            prerequisites=(Prerequisite("entry", Duration(months=3)),),
            caps=MetricCaps(amount=Decimal("3000")),
        ),
        Metric(
            "education",
            "Entry into education",
            tariff("500"),
            window=Duration(months=12),
            prerequisites=(Prerequisite("entry"),),
        ),
    ),
    payers=(Payer("dclg", Decimal("10000.00")), Payer("cabinet")),
    payer_shares=Schedule((Dated(date(2015, 1, 1), {"dclg": Decimal("100")}),)),
    caps=ContractCaps(per_participant=Decimal("2000.00"), contract=Decimal("100000.00")),
)


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_ageing_buckets_edges(age: int, bucket: str) -> None:
    assert bucket_of(age) == bucket


def test_evidence_waiting_for_verification_is_aged_and_flagged_past_the_sla() -> None:
    evidence = pd.DataFrame(
        {
            "evidence_id": ["E1", "E2", "E3", "E4"],
            "participant_id": ["P1", "P2", "P3", "P4"],
            "metric": ["entry"] * 4,
            "submitted_at": pd.to_datetime(
                ["2015-06-01 10:00", "2015-04-15 09:00", "2015-01-02 08:00", "2015-06-20 12:00"]
            ),
            "status": ["pending", "pending", "verified", "pending"],
        }
    )
    found = awaiting_verification(evidence, date(2015, 7, 1), sla_days=30)
    assert list(found["evidence_id"]) == ["E2", "E1", "E4"]  # oldest first, verified left out
    assert list(found["age_days"]) == [77, 30, 11]
    assert list(found["bucket"]) == ["61-90", "0-30", "0-30"]
    assert list(found["past_sla"]) == [True, False, False]


def participants(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"participant_id": [r[0] for r in rows], "start_date": pd.to_datetime([r[1] for r in rows])}
    )


def evidence(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": [r[0] for r in rows],
            "metric": [r[1] for r in rows],
            "achieved_on": pd.to_datetime([r[2] for r in rows]),
            "status": [r[3] for r in rows],
        }
    )


def test_sustainment_due_with_no_evidence_is_likely_unclaimed() -> None:
    people = participants(("P1", "2015-01-05"), ("P2", "2015-01-05"), ("P3", "2015-01-05"))
    facts = evidence(
        ("P1", "entry", "2015-02-01", "verified"),  # due 2015-05-01, nothing since
        ("P2", "entry", "2015-02-01", "verified"),
        ("P2", "sustained_3m", "2015-05-02", "pending"),  # evidenced, even if not yet verified
        ("P3", "entry", "2015-02-01", "rejected"),  # never achieved
        ("P1", "education", "2015-03-01", "verified"),
    )
    found = likely_unclaimed(SPEC, people, facts, date(2015, 5, 2))
    assert found[["participant_id", "metric"]].values.tolist() == [["P1", "sustained_3m"]]
    assert found["expected_by"].iloc[0] == date(2015, 5, 1)
    assert found["days_overdue"].iloc[0] == 1
    assert likely_unclaimed(SPEC, people, facts, date(2015, 5, 1)).empty  # due today: not yet


def test_a_restarted_clock_counts_from_the_new_entry() -> None:
    people = participants(("P1", "2015-01-05"))
    facts = evidence(
        ("P1", "entry", "2015-02-01", "verified"),
        ("P1", "entry", "2015-04-10", "verified"),  # abandoned, then a new tenancy
    )
    assert likely_unclaimed(SPEC, people, facts, date(2015, 6, 1)).empty
    assert list(likely_unclaimed(SPEC, people, facts, date(2015, 7, 11))["metric"]) == [
        "sustained_3m"
    ]


def test_without_a_gap_the_metrics_window_sets_the_date() -> None:
    people = participants(("P1", "2015-01-05"))
    facts = evidence(("P1", "entry", "2015-02-01", "verified"))
    found = likely_unclaimed(SPEC, people, facts, date(2016, 1, 6))
    education = found[found["metric"] == "education"]
    assert education["expected_by"].tolist() == [date(2016, 1, 5)]


def postings(*rows: tuple[str, str, int, str, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["participant_id", "metric", "occurrence", "payer", "amount"])


def test_caps_at_or_above_ninety_percent_are_listed() -> None:
    found = caps_near_exhaustion(
        SPEC,
        postings(
            ("P1", "sustained_3m", 1, "dclg", 150_000),
            ("P1", "entry", 1, "dclg", 50_000),  # P1 at 2,000.00 of 2,000.00
            ("P2", "sustained_3m", 1, "dclg", 120_000),  # metric at 2,700 of 3,000 = 90%
            ("P3", "entry", 1, "dclg", 50_000),
            ("P3", "entry", 1, "dclg", -50_000),  # revoked: no longer counts
        ),
    )
    listed = {(row.cap, row.subject): row.used_percent for row in found.itertuples()}
    assert listed == {
        ("participant_cap", "P1"): "100.0",
        ("metric_amount_cap", "sustained_3m"): "90.0",
    }


def test_a_payer_commitment_just_below_ninety_percent_is_not_listed() -> None:
    just_below = postings(("P1", "entry", 1, "dclg", 899_999))
    at = postings(("P1", "entry", 1, "dclg", 900_000))
    assert "payer_commitment" not in set(caps_near_exhaustion(SPEC, just_below)["cap"])
    assert "payer_commitment" in set(caps_near_exhaustion(SPEC, at)["cap"])


def test_count_caps_count_occurrences_still_paid() -> None:
    nine = postings(*((f"P{n}", "entry", 1, "dclg", 500) for n in range(9)))
    found = caps_near_exhaustion(SPEC, nine)
    assert found[found["cap"] == "metric_count_cap"]["used"].tolist() == [9]


def test_periods_ended_without_a_completed_run_are_listed_with_their_lateness() -> None:
    found = unreconciled_periods(
        SPEC, datetime(2015, 10, 20), timedelta(days=5), reconciled={"2015-Q1", "2015-Q3"}
    )
    assert found["period"].tolist() == ["2015-Q2"]
    assert found["days_late"].tolist() == [106]


def test_cohort_level_payments_count_against_no_participant_cap() -> None:
    found = caps_near_exhaustion(SPEC, postings(("cohort:pool", "entry", 1, "cabinet", 300_000)))
    assert "participant_cap" not in set(found["cap"])
