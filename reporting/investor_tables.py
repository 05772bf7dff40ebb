"""The investor report's tables, built from plain values (no session, no file format).

Money columns hold integer minor units; an IRR is shown as a percentage with two decimals
(a rate is not money, but is written as decimal text so every format prints the same).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

import pandas as pd

from contract_specs.model import ContractSpec, Investment, to_minor
from ledger.domain.finance.flows import INFLOWS, CashFlow, CashKind
from ledger.domain.finance.forecast import Conversion
from ledger.domain.finance.forecast_caps import OWED, ForecastCase
from ledger.domain.finance.returns import Returns
from reconciliation.periods import period_containing
from reporting.report import Column, Kind, Table, empty_frame

M, D, P, N, X = Kind.MONEY, Kind.DATE, Kind.PERCENT, Kind.INTEGER, Kind.MULTIPLE


def rate_percent(rate: float | None) -> str:
    """A rate as a percentage with two decimals ("3.12"); "" when it is undefined."""
    if rate is None:
        return ""
    return str((Decimal(repr(rate)) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _table(
    name: str,
    title: str,
    columns: tuple[Column, ...],
    rows: Sequence[Mapping[str, object]],
    note: str = "",
) -> Table:
    frame = pd.DataFrame(rows, columns=[c.name for c in columns]) if rows else empty_frame(columns)
    return Table(name, title, columns, frame, note)


def capital_table(spec: ContractSpec, investment: Investment, returns: Sequence[Returns]) -> Table:
    """Per tranche: terms, capital committed, drawn, returned and outstanding."""
    by_subject = {r.subject: r for r in returns}
    e = spec.contract.exponent
    columns = (
        Column("tranche"), Column("kind"), Column("investor"), Column("rank", N),
        Column("committed", M), Column("drawn", M), Column("undrawn", M),
        Column("capital_returned", M), Column("capital_outstanding", M),
    )  # fmt: skip
    rows = []
    for t in investment.tranches:
        r = by_subject[t.id]
        committed = to_minor(t.commitment, e)
        rows.append(
            {
                "tranche": t.id,
                "kind": t.kind.value,
                "investor": spec.party(t.investor).name,
                "rank": t.rank,
                "committed": committed,
                "drawn": r.drawn,
                "undrawn": max(committed - r.drawn, 0),
                "capital_returned": r.capital_returned,
                "capital_outstanding": r.capital_outstanding,
            }
        )
    return _table("capital", "Capital committed and drawn", columns, rows)


def returns_frame(returns: Sequence[Returns]) -> Table:
    """Returns to date per tranche, per investor holding several, and overall ("all")."""
    columns = (
        Column("subject"), Column("drawn", M), Column("distributed", M), Column("gain", M),
        Column("money_multiple", X), Column("irr_percent", P),
    )  # fmt: skip
    rows = [
        {
            "subject": r.subject,
            "drawn": r.drawn,
            "distributed": r.distributed,
            "gain": r.gain,
            "money_multiple": None if r.money_multiple is None else str(r.money_multiple),
            "irr_percent": rate_percent(r.irr) or None,
        }
        for r in returns
    ]
    note = "gain < 0 is a loss so far; irr is empty until money has gone both ways"
    return _table("returns", "Returns to date", columns, rows, note)


def income_table(spec: ContractSpec, flows: Sequence[CashFlow]) -> Table:
    """Outcome income received, by period and payer."""
    frequency = spec.contract.payment_frequency
    totals: dict[tuple[str, str], int] = {}
    for f in flows:
        if f.kind is CashKind.OUTCOME_INCOME:
            key = (period_containing(f.on, frequency).id, f.party)
            totals[key] = totals.get(key, 0) + f.amount
    columns = (Column("period"), Column("payer"), Column("amount", M))
    rows = [{"period": p, "payer": payer, "amount": a} for (p, payer), a in sorted(totals.items())]
    return _table("income", "Outcome income received by period and payer", columns, rows)


def distributions_table(flows: Sequence[CashFlow]) -> Table:
    """Every distribution, and every fee paid out of outcome income."""
    columns = (
        Column("date", D), Column("to"), Column("tranche"), Column("component"),
        Column("amount", M),
    )  # fmt: skip
    rows = [
        {
            "date": f.on,
            "to": f.party,
            "tranche": f.tranche,
            "component": f.component,
            "amount": f.amount,
        }
        for f in flows
        if f.kind is CashKind.DISTRIBUTION
        or (f.kind is CashKind.SERVICE_FEE and f.component != "fixed")
    ]
    return _table("distributions", "Distributions", columns, rows)


def cash_table(flows: Sequence[CashFlow]) -> Table:
    """Cumulative cash in (capital, income) and out (fees, costs, distributions), by date."""
    days = sorted({f.on for f in flows})
    ins = [sum(f.amount for f in flows if f.on == d and f.kind in INFLOWS) for d in days]
    outs = [sum(f.amount for f in flows if f.on == d and f.kind not in INFLOWS) for d in days]
    drawn = [
        sum(f.amount for f in flows if f.on == d and f.kind is CashKind.CAPITAL_DRAWN) for d in days
    ]
    paid = [
        sum(f.amount for f in flows if f.on == d and f.kind is CashKind.DISTRIBUTION) for d in days
    ]
    columns = (
        Column("date", D), Column("cash_in", M), Column("cash_out", M), Column("balance", M),
        Column("invested", M), Column("returned", M),
    )  # fmt: skip
    rows = [
        {"date": d, "cash_in": i, "cash_out": o, "balance": i - o, "invested": v, "returned": r}
        for d, i, o, v, r in zip(
            days,
            accumulate(ins),
            accumulate(outs),
            accumulate(drawn),
            accumulate(paid),
            strict=True,
        )
    ]
    return _table("cash", "Cumulative cash in and out", columns, rows)


def forecast_table(cases: Sequence[ForecastCase], implied: Sequence[Returns]) -> Table:
    """Per case: income owed, new income expected, and the returns it implies."""
    columns = (
        Column("case"), Column("owed", M), Column("expected_new", M), Column("total", M),
        Column("implied_multiple", X), Column("implied_irr_percent", P),
    )  # fmt: skip
    rows = []
    for case, r in zip(cases, implied, strict=True):
        owed = sum(i.amount for i in case.income if i.metric == OWED)
        rows.append(
            {
                "case": case.case,
                "owed": owed,
                "expected_new": case.total - owed,
                "total": case.total,
                "implied_multiple": None if r.money_multiple is None else str(r.money_multiple),
                "implied_irr_percent": rate_percent(r.irr) or None,
            }
        )
    note = "owed: entitled but not yet received; expected_new: from people already enrolled"
    return _table("forecast", "Forecast of outcome income", columns, rows, note)


def caps_table(cases: Sequence[ForecastCase]) -> Table:
    """When each cap runs out in each case (empty: not within the forecast)."""
    columns = (Column("cap"), *(Column(c.case, D) for c in cases))
    names = list(dict.fromkeys(name for c in cases for name in c.exhausted))
    rows = [{"cap": n, **{c.case: c.exhausted.get(n) for c in cases}} for n in names]
    return _table("caps", "When each cap runs out", columns, rows)


def conversion_table(found: Sequence[Conversion]) -> Table:
    """What the forecast assumes per metric, from what was observed."""
    columns = (
        Column("metric"), Column("enrolled", N), Column("achieved", N), Column("matured", N),
        Column("low", P), Column("central", P), Column("high", P),
    )  # fmt: skip
    rows = [
        {
            "metric": c.metric,
            "enrolled": c.enrolled,
            "achieved": c.achieved,
            "matured": c.matured,
            **{case: rate_percent(rate) for case, rate in c.rates.items()},
        }
        for c in found
    ]
    return _table("conversion", "Observed conversion per metric", columns, rows)
