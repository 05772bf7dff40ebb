"""The investor report (issue "Investor finance"): capital committed and drawn, outcome income
by period and payer, distributions, returns to date, the forecast and what it implies, and a
line chart of cumulative cash in and out.

Cash is counted to the end of the period asked for (or an earlier `as_of`); the forecast uses
the facts the ledger knew at the cut-off (`as_of`, by default the end of the period). Never the
clock, so the same ledger gives the same report.

For one investor (`investor`), the tables about tranches (capital, returns, distributions) show
its own tranches and holding only; the vehicle's totals (income, cumulative cash, the forecast)
are the vehicle's, shared by its investors.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlmodel import Session

from contract_specs.model import ContractSpec, from_minor
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.domain.finance.forecast_caps import forecast
from ledger.domain.finance.future_draws import draw_days
from ledger.domain.finance.projection import implied_returns, projected_flows
from ledger.domain.finance.returns import (
    own_tranches,
    returns_of_investor,
    returns_table,
    seen_by_investor,
)
from ledger.services.cash import investment_of, load_cash
from ledger.services.contracts import active_spec
from ledger.services.facts import load_facts, utc
from reporting import investor_tables as tables
from reporting.investor_cash_forecast import cash_forecast_table, waterfall_table
from reporting.report import Chart, ChartKind, Report, report_for
from reporting.request import checked_request, end_of


def investor_report(
    session: Session,
    contract_id: str,
    period_id: str,
    as_of: datetime | None = None,
    investor: str | None = None,
) -> Report:
    """The investor report of a contract for `period_id` (ReportError for a bad period,
    NoInvestment when the spec declares no investment); `investor`: as that investor sees
    it (None: the whole vehicle, as the intermediary sees it)."""
    active = active_spec(session, contract_id)
    spec = active.spec
    investment = investment_of(contract_id, spec)
    period = checked_request(spec, period_id, as_of=as_of)
    cut_off = utc(as_of or end_of(period))
    # cash to the period's end (or an earlier cut-off); the facts as known at the cut-off
    day = min(period.end, (cut_off - timedelta(microseconds=1)).date())
    flows = [f for f in load_cash(session, contract_id) if f.on <= day]
    facts = load_facts(session, contract_id, cut_off, spec)
    entitlement = compute_entitlement(spec, facts)
    received = _received(flows)
    found, cases = forecast(spec, facts, entitlement, day, received)
    e = spec.contract.exponent
    returns = returns_table(investment, flows, day, e)
    draws = draw_days(spec, day)
    implied = [implied_returns(investment, flows, case, e, day, draws) for case in cases]
    central = next(c for c in cases if c.case == "central")
    projected = projected_flows(investment, flows, central, e, draws)
    held, shown, paid_out, steps = investment, returns, flows, projected
    if investor is not None:
        own = own_tranches(investment, investor)
        held = dataclasses.replace(
            investment, tranches=tuple(t for t in investment.tranches if t.id in own)
        )
        shown = returns_of_investor(returns, investor)
        paid_out = seen_by_investor(investment, investor, flows)
        steps = seen_by_investor(investment, investor, projected)
    built = (
        tables.capital_table(spec, held, shown),
        tables.returns_frame(shown),
        tables.income_table(spec, flows),
        tables.distributions_table(paid_out),
        tables.cash_table(flows),
        tables.forecast_table(cases, implied),
        cash_forecast_table(spec, projected, flows, day),
        waterfall_table(investment, steps, flows, day),
        tables.caps_table(cases),
        tables.conversion_table(found),
    )
    # the whole vehicle's, or the investor's own holding (its one tranche, or all of them)
    overall = shown[-1] if shown else None
    cover = (
        ("Report", f"capital, outcome income, distributions and returns of {investment.vehicle}"),
        ("Contract", f"{spec.contract.name} ({contract_id})"),
        ("Period", f"{period.id}: cash to {day.isoformat()}"),
        ("Cut-off", f"{cut_off:%Y-%m-%d %H:%M:%S} UTC: facts known by then feed the forecast"),
        ("Spec version", str(active.version)),
        ("Currency", f"{spec.contract.currency}; amounts are exact"),
        (
            "Returns to date",
            "no tranche of this vehicle is yours"
            if overall is None
            else _headline(spec, overall.gain, tables.rate_percent(overall.irr)),
        ),
    )
    charts = (
        Chart(ChartKind.LINE, "Cumulative cash in and out", "cash", "date",
              ("cash_in", "cash_out"), spec.contract.currency),
        Chart(ChartKind.LINE, "Invested and returned", "cash", "date",
              ("invested", "returned"), spec.contract.currency),
    )  # fmt: skip
    title = f"Investor report: {spec.contract.name}, {period.id}"
    return report_for(
        spec, "investor", title, period.id, cut_off, active.version, cover, built, "returns", charts
    )


def _received(flows: list[CashFlow]) -> dict[str, int]:
    found: dict[str, int] = {}
    for f in flows:
        if f.kind is CashKind.OUTCOME_INCOME:
            found[f.party] = found.get(f.party, 0) + f.amount
    return found


def _headline(spec: ContractSpec, gain: int, irr: str) -> str:
    money = from_minor(gain, spec.contract.exponent)
    word = "gain" if gain >= 0 else "loss"
    rate = f", IRR {irr}% a year" if irr else ", IRR not yet defined"
    return f"{word} of {abs(money)} {spec.contract.currency}{rate}"
