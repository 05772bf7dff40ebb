"""Forecast sanity: more conversion brings more income, caps bound it, the cases are ordered."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contract_specs.model import ContractCaps, ContractSpec, Investment, Tranche, TrancheKind
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.domain.finance.forecast import payment_date, still_to_come
from ledger.domain.finance.forecast_caps import OWED, ForecastCase, forecast
from ledger.domain.finance.projection import implied_returns

START = date(2015, 1, 1)
AS_OF = date(2015, 12, 31)


LATE = date(2015, 12, 1)


def people() -> list[dict[str, object]]:
    """40 participants aged 20: P000-P019 start a day apart from 1 Jan 2015 (long matured by
    the end of the year), P020-P039 on 1 Dec 2015 (a month in: too early for a job)."""
    return [
        {
            "participant_id": f"P{i:03}",
            "cohort": "c1",
            "provider": "acme",
            "start_date": (START + timedelta(days=i) if i < 20 else LATE).isoformat(),
            "date_of_birth": "1995-01-01",
        }
        for i in range(40)
    ]


def job_entries(who: range) -> list[dict[str, object]]:
    """A job entry 90 to 120 days after start for each (early) participant number in `who`."""
    return [
        {
            "evidence_id": f"E{i}",
            "participant_id": f"P{i:03}",
            "metric": "job_entry",
            "achieved_on": (START + timedelta(days=i + 90 + i % 31)).isoformat(),
            "evidence_type": "payslip",
        }
        for i in who
    ]


def run(spec: ContractSpec, achievers: range, received: int = 0) -> dict[str, ForecastCase]:
    facts = facts_from_rows(spec, people(), job_entries(achievers))
    ent = compute_entitlement(spec, facts)
    _, cases = forecast(spec, facts, ent, AS_OF, {"dwp": received})
    return {c.case: c for c in cases}


def new_income(case: ForecastCase) -> int:
    return sum(i.amount for i in case.income if i.metric != OWED)


def test_more_conversion_brings_more_income(spec: ContractSpec) -> None:
    # of the first 20 participants (all matured by December), 4 and then 12 found a job
    some = run(spec, range(0, 20, 5))
    more = run(spec, range(0, 12))
    assert new_income(more["central"]) > new_income(some["central"]) > 0


def test_the_cases_are_ordered_low_central_high(spec: ContractSpec) -> None:
    cases = run(spec, range(0, 20, 3))
    assert new_income(cases["low"]) <= new_income(cases["central"]) <= new_income(cases["high"])
    assert new_income(cases["low"]) < new_income(cases["high"])


def test_a_contract_cap_bounds_the_forecast_and_says_when_it_runs_out(spec: ContractSpec) -> None:
    # ten job entries so far (35,000.00) under a contract cap of 50,000.00; half the matured
    # participants found a job, so about ten more are expected among the twenty late starters
    capped = replace(spec, caps=ContractCaps(contract=Decimal("50000.00")))
    cases = run(capped, range(0, 20, 2))
    for case in cases.values():
        # entitled so far (owed, nothing received) plus everything forecast stays within the cap
        assert sum(i.amount for i in case.income) <= 5_000_000
    ran_out = cases["high"].exhausted["contract cap"]
    assert ran_out is not None and ran_out > AS_OF
    assert sum(i.amount for i in cases["high"].income) == 5_000_000
    # a cap already used up ran out by the forecast date at the latest
    spent = run(replace(spec, caps=ContractCaps(contract=Decimal("30000.00"))), range(0, 20, 2))
    assert spent["central"].exhausted["contract cap"] == AS_OF
    assert new_income(spent["central"]) == 0


def test_income_already_owed_is_expected_within_the_payment_terms(spec: ContractSpec) -> None:
    # two job entries: 3,500.00 each, 80% from dwp; dwp has paid 1,000.00 of it
    cases = run(spec, range(2), received=100_000)
    owed = {(i.payer, i.amount, i.on) for i in cases["central"].income if i.metric == OWED}
    due = AS_OF + timedelta(days=30)
    assert owed == {("dwp", 2 * 280_000 - 100_000, due), ("topup", 2 * 70_000, due)}


def test_nothing_is_forecast_for_a_metric_never_seen(spec: ContractSpec) -> None:
    assert new_income(run(spec, range(0))["high"]) == 0


@pytest.mark.parametrize(
    ("p", "delays", "elapsed", "expected"),
    [
        (0.5, (10, 20, 30, 40), 25, (1 / 3, 35)),  # half the delays are past: 0.25 / 0.75
        (0.5, (10, 20, 30, 40), 5, (0.5, 25)),  # nothing seen yet: the rate itself
        (0.5, (10, 20, 30, 40), 40, (0.0, None)),  # later than anyone ever achieved it
        (0.0, (10,), 5, (0.0, None)),
    ],
)
def test_the_chance_of_achieving_later(
    p: float, delays: tuple[int, ...], elapsed: int, expected: tuple[float, int | None]
) -> None:
    probability, delay = still_to_come(p, delays, elapsed)
    assert (pytest.approx(probability), delay) == (pytest.approx(expected[0]), expected[1])


def test_an_outcome_is_paid_after_its_period_ends_and_the_payer_s_terms(spec: ContractSpec) -> None:
    assert payment_date(spec, date(2015, 2, 10)) == date(2015, 3, 31) + timedelta(days=30)
    assert payment_date(spec, date(2015, 12, 31)) == date(2016, 1, 30)


def test_a_richer_case_implies_a_higher_irr(spec: ContractSpec) -> None:
    investment = Investment(
        "V", (Tranche("eq", TrancheKind.EQUITY, "fund", Decimal("100000.00"), 1),)
    )
    flows = [
        CashFlow(START, CashKind.CAPITAL_DRAWN, 5_000_000, tranche="eq"),
        CashFlow(START, CashKind.SERVICE_FEE, 5_000_000, party="acme"),
    ]
    cases = run(spec, range(0, 20, 3))
    low, high = (
        implied_returns(investment, flows, cases[c], 2, AS_OF, ()) for c in ("low", "high")
    )
    assert low.irr is not None and high.irr is not None and low.irr < high.irr
    assert high.distributed == sum(i.amount for i in cases["high"].income)
