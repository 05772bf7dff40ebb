"""Half-up rounding of prices and the split of odd minor units between payers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from contract_specs.model import Metric, Payer
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.shares import split
from tests.reference.specs import START, fact, make_spec, person, prices, schedule, shares


@pytest.mark.parametrize(
    ("price", "currency", "minor"),
    [
        ("100.005", "GBP", 10001),  # half a penny rounds up
        ("100.0049", "GBP", 10000),  # just below half a penny rounds down
        ("0.005", "GBP", 1),
        ("0.0049", "GBP", 0),
        ("1500.5", "JPY", 1501),  # no minor unit: half a yen rounds up
        ("1500.49", "JPY", 1500),
    ],
)
def test_price_is_rounded_half_up_to_the_minor_unit(price: str, currency: str, minor: int) -> None:
    spec = make_spec(
        [Metric("entry", "Entry", tariff=prices(price))],
        currency=currency,
    )
    facts = facts_from_rows(spec, [person("P1")], [fact("E1", "P1", "entry", "2015-03-01")])
    lines = compute_entitlement(spec, facts).lines
    assert lines["price"].tolist() == [minor]
    assert lines["amount"].tolist() == [minor]


@pytest.mark.parametrize(
    ("amount", "percent", "parts"),
    [
        (10000, ["33.33", "33.33", "33.34"], [3333, 3333, 3334]),  # exact: nothing left over
        (100, ["33.33", "33.33", "33.34"], [34, 33, 33]),  # 1p left over goes to the first
        (10001, ["50", "50"], [5001, 5000]),
        (2, ["33.34", "33.33", "33.33"], [1, 1, 0]),
        (1, ["0", "50", "50"], [0, 1, 0]),  # a payer with no share gets no leftover
        (7, ["100"], [7]),
        (0, ["60", "40"], [0, 0]),
    ],
)
def test_split_floors_each_share_and_hands_out_leftovers_in_payer_order(
    amount: int, percent: list[str], parts: list[int]
) -> None:
    numerators = np.array([[int(Decimal(p) * 100) for p in percent]], dtype=np.int64)
    result = split(np.array([amount], dtype=np.int64), numerators, 10000)
    assert result.tolist() == [parts]


def test_shares_in_force_on_the_achievement_date_with_metric_override_first() -> None:
    spec = make_spec(
        [
            Metric("entry", "Entry", tariff=prices("100.00")),
            Metric(
                "job",
                "Job",
                tariff=prices("100.00"),
                # overrides only from 2015-06-01: before that the contract's shares apply
                payer_shares=schedule((date(2015, 6, 1), shares(alpha="100"))),
            ),
        ],
        payers=(Payer("alpha"), Payer("beta")),
        payer_shares=schedule(
            (START, shares(alpha="80", beta="20")),
            (date(2015, 4, 1), shares(alpha="60", beta="40")),
        ),
    )
    facts = facts_from_rows(
        spec,
        [person("P1")],
        [
            fact("E1", "P1", "entry", "2015-03-31"),
            fact("E2", "P1", "job", "2015-05-31"),
            fact("E3", "P1", "job", "2015-06-01"),
        ],
    )
    lines = compute_entitlement(spec, facts).lines
    got = {
        (r.metric, r.achieved_on.date().isoformat(), r.payer): int(r.amount)
        for r in lines.itertuples()
    }
    assert got == {
        ("entry", "2015-03-31", "alpha"): 8000,
        ("entry", "2015-03-31", "beta"): 2000,
        ("job", "2015-05-31", "alpha"): 6000,
        ("job", "2015-05-31", "beta"): 4000,
    }
    # job is paid once per participant (default limit): E3 counts for nothing
    assert compute_entitlement(spec, facts).not_payable.reason.tolist() == ["limit_per_participant"]


def test_the_tariff_of_each_line_and_the_cohort_override() -> None:
    """The engine's tariff column is the price a posting keeps and the report quotes."""
    from contract_specs.model import Cohort

    spec = make_spec(
        [
            Metric(
                "entry",
                "Entry",
                tariff=prices((START, "500.00"), (date(2016, 4, 1), "550.00")),
                max_per_participant=3,
            )
        ],
        cohorts=(
            Cohort("c1", "One", START, date(2016, 12, 31)),
            Cohort(
                "c2",
                "Two",
                START,
                date(2016, 12, 31),
                tariffs={"entry": prices((date(2016, 1, 1), "600.00"))},
            ),
        ),
    )
    facts = facts_from_rows(
        spec,
        [person("P1"), person("P2", cohort="c2")],
        [
            fact("E1", "P1", "entry", "2016-03-31"),
            fact("E2", "P1", "entry", "2016-04-01"),
            fact("E3", "P2", "entry", "2015-12-31"),  # before c2's override starts
            fact("E4", "P2", "entry", "2016-01-01"),
        ],
    )
    lines = compute_entitlement(spec, facts).lines
    assert {r.evidence_ids: int(r.price) for r in lines.itertuples()} == {
        "E1": 50000,
        "E2": 55000,
        "E3": 50000,
        "E4": 60000,
    }
    assert lines.set_index("evidence_ids").loc["E4", "reason"].startswith("c2 tariff 600.00")
    assert {r.evidence_ids: int(r.tariff) for r in lines.itertuples()} == {
        "E1": 50000,
        "E2": 55000,
        "E3": 50000,
        "E4": 60000,
    }
    assert set(lines["cut_amount"]) == {0}  # no cap here
