"""Caps at their boundaries (just below, at, just above), as a commissioner would check them."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from contract_specs.model import ContractCaps, MetricCaps, Payer
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.specs import START, fact, make_spec, metric, person, schedule, shares


def paid(lines: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """(participant, metric, payer) -> amount in pence, non-zero lines only."""
    return {
        (r.participant_id, r.metric, r.payer): int(r.amount)
        for r in lines.itertuples()
        if r.amount != 0
    }


# One participant earns A (£600) then B (£500); the per-person cap decides what B pays.
@pytest.mark.parametrize(
    ("cap", "b_paid", "b_cut"),
    [
        ("1100.01", 50000, ""),  # just above what both cost: B in full
        ("1100.00", 50000, ""),  # exactly both: B in full, not cut
        ("1099.99", 49999, "participant_cap"),  # a penny short: B cut by a penny
        ("600.00", 0, "participant_cap"),  # A used it all: B's line is zero
    ],
)
def test_participant_cap(cap: str, b_paid: int, b_cut: str) -> None:
    spec = make_spec(
        [metric("a", "600.00"), metric("b", "500.00")],
        caps=ContractCaps(per_participant=Decimal(cap)),
    )
    facts = facts_from_rows(
        spec,
        [person("P1")],
        [fact("E1", "P1", "a", "2015-03-01"), fact("E2", "P1", "b", "2015-04-01")],
    )
    result = compute_entitlement(spec, facts)
    line_b = result.lines[result.lines.metric == "b"].iloc[0]
    assert int(line_b.amount) == b_paid
    assert line_b.cut_by == b_cut
    not_paid = set(result.not_payable.evidence_id)
    assert not_paid == ({"E2"} if b_paid == 0 else set())
    if b_paid == 0:
        assert result.not_payable.reason.tolist() == ["participant_cap_reached"]


# Three participants earn the same £400 outcome on consecutive days; the metric amount cap
# is shared in the canonical order (date first).
@pytest.mark.parametrize(
    ("cap", "expected"),
    [
        ("1200.01", [40000, 40000, 40000]),
        ("1200.00", [40000, 40000, 40000]),
        ("1199.99", [40000, 40000, 39999]),
        ("800.00", [40000, 40000, 0]),
        ("0.01", [1, 0, 0]),
    ],
)
def test_metric_amount_cap(cap: str, expected: list[int]) -> None:
    spec = make_spec([metric("entry", "400.00", caps=MetricCaps(amount=Decimal(cap)))])
    facts = facts_from_rows(
        spec,
        [person("P3"), person("P2"), person("P1")],
        [
            fact("E1", "P3", "entry", "2015-03-01"),
            fact("E2", "P1", "entry", "2015-03-02"),
            fact("E3", "P2", "entry", "2015-03-03"),
        ],
    )
    lines = compute_entitlement(spec, facts).lines.set_index("participant_id")
    assert [int(lines.loc[p, "amount"]) for p in ("P3", "P1", "P2")] == expected


def test_same_day_ties_break_by_metric_position_then_participant_id() -> None:
    # a £500 contract cap, three £300 outcomes on one day: metric "first" (listed first) for P2,
    # then metric "second" for P1 and P2; participant id orders within a metric
    spec = make_spec(
        [metric("first", "300.00"), metric("second", "300.00")],
        caps=ContractCaps(contract=Decimal("500.00")),
    )
    facts = facts_from_rows(
        spec,
        [person("P1"), person("P2")],
        [
            fact("E1", "P2", "second", "2015-03-01"),
            fact("E2", "P1", "second", "2015-03-01"),
            fact("E3", "P2", "first", "2015-03-01"),
        ],
    )
    result = compute_entitlement(spec, facts)
    assert paid(result.lines) == {
        ("P2", "first", "dclg"): 30000,
        ("P1", "second", "dclg"): 20000,
    }
    cut = result.lines.set_index(["participant_id", "metric"])["cut_by"]
    assert cut[("P1", "second")] == "contract_cap"
    assert cut[("P2", "second")] == "contract_cap"
    assert dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True)) == {
        "E1": "contract_cap_reached"
    }


@pytest.mark.parametrize(
    ("count", "paid_people", "counted_out"),
    [
        (0, [], ["P0", "P1", "P2", "P3"]),  # a count cap of 0 is reached before anything
        (1, ["P1"], ["P2", "P3"]),
        (2, ["P1", "P2"], ["P3"]),
    ],
)
def test_metric_count_cap_counts_only_paid_occurrences(
    count: int, paid_people: list[str], counted_out: list[str]
) -> None:
    # P0's occurrence comes first but the per-person cap leaves it nothing: it takes no slot
    spec = make_spec(
        [metric("pre", "100.00"), metric("entry", "400.00", caps=MetricCaps(count=count))],
        caps=ContractCaps(per_participant=Decimal("100.00")),
    )
    facts = facts_from_rows(
        spec,
        [person("P0"), person("P1"), person("P2"), person("P3")],
        [
            fact("E0", "P0", "pre", "2015-02-20"),
            fact("E1", "P0", "entry", "2015-03-01"),
            fact("E2", "P1", "entry", "2015-03-02"),
            fact("E3", "P2", "entry", "2015-03-03"),
            fact("E4", "P3", "entry", "2015-03-04"),
        ],
    )
    result = compute_entitlement(spec, facts)
    entries = result.lines[(result.lines.metric == "entry") & (result.lines.amount > 0)]
    assert sorted(entries.participant_id) == paid_people
    assert all(entries.amount == 10000)  # each cut to the £100 person cap
    cut_by_count = result.lines[
        (result.lines.metric == "entry") & (result.lines.cut_by == "metric_count_cap")
    ]
    assert sorted(cut_by_count.participant_id) == counted_out


def test_payer_commitment_cuts_its_part_and_the_share_is_not_moved() -> None:
    # 80/20 split; beta has £150 left to commit: the second £500 outcome is 400 + 100 but beta
    # has only 50 left after the first one (100): alpha still pays only its 400
    spec = make_spec(
        [metric("entry", "500.00")],
        payers=(Payer("alpha"), Payer("beta", Decimal("150.00"))),
        payer_shares=schedule((START, shares(alpha="80", beta="20"))),
    )
    facts = facts_from_rows(
        spec,
        [person("P1"), person("P2"), person("P3")],
        [
            fact("E1", "P1", "entry", "2015-03-01"),
            fact("E2", "P2", "entry", "2015-03-02"),
            fact("E3", "P3", "entry", "2015-03-03"),
        ],
    )
    result = compute_entitlement(spec, facts)
    assert paid(result.lines) == {
        ("P1", "entry", "alpha"): 40000,
        ("P1", "entry", "beta"): 10000,
        ("P2", "entry", "alpha"): 40000,
        ("P2", "entry", "beta"): 5000,
        ("P3", "entry", "alpha"): 40000,
    }
    cut = result.lines.set_index(["participant_id", "payer"])["cut_by"]
    assert cut[("P2", "beta")] == "payer_commitment"
    assert cut[("P3", "beta")] == "payer_commitment"
    assert cut[("P3", "alpha")] == ""
    # a zero line keeps the key visible for reconciliation
    assert ("P3", "beta") in cut.index
    assert result.not_payable.empty


def test_caps_are_consumed_by_what_is_actually_paid() -> None:
    # beta (50%) is exhausted from the start, so an outcome consumes only alpha's half of its
    # amount: P1 100 -> alpha 50 (70 left); P2 min(100, 70) -> alpha 35 (35 left);
    # P3 min(100, 35) -> alpha 17.50
    spec = make_spec(
        [metric("entry", "100.00")],
        payers=(Payer("alpha"), Payer("beta", Decimal("0"))),
        payer_shares=schedule((START, shares(alpha="50", beta="50"))),
        caps=ContractCaps(contract=Decimal("120.00")),
    )
    facts = facts_from_rows(
        spec,
        [person("P1"), person("P2"), person("P3")],
        [fact(f"E{i}", f"P{i}", "entry", f"2015-03-0{i}") for i in (1, 2, 3)],
    )
    lines = compute_entitlement(spec, facts).lines
    alpha = lines[lines.payer == "alpha"].set_index("participant_id")["amount"]
    assert alpha.to_dict() == {"P1": 5000, "P2": 3500, "P3": 1750}
