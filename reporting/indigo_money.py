"""The money of the INDIGO export: amounts in the standard's shapes, and the money that moved.

An amount is `{"value": n}` with n a JSON number of exactly the currency's decimals (from integer
minor units; msgspec writes a Decimal as a number, never through a float), beside a
`{"currency": {"value": "GBP"}}`. What moved: each payer's commitment and what it has paid,
the outcome payments of the periods whose claims are paid, and the transactions (remittances
received, capital drawn and distributed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from contract_specs.model import ContractSpec, TrancheKind, from_minor, to_minor
from ledger.domain.finance.flows import CashKind, Component
from reconciliation.matching import Status
from reconciliation.periods import parse_period
from reporting.indigo_ledger import LedgerTotals

SOURCE = "source1"
Json = dict[str, Any]
# how INDIGO calls capital drawn from each kind of tranche
DRAWN_AS = {
    TrancheKind.SENIOR_LOAN: "Debt",
    TrancheKind.JUNIOR_LOAN: "Debt",
    TrancheKind.EQUITY: "Equity",
    TrancheKind.RECYCLABLE_GRANT: "Grant",
    TrancheKind.GUARANTEE: "Other",
}


def value(v: object) -> Json:
    """The standard's wrapper of every field: {"value": v}."""
    return {"value": v}


class Money:
    """Amounts of the contract's currency in the standard's shapes."""

    def __init__(self, spec: ContractSpec) -> None:
        self.currency = spec.contract.currency
        self.exponent = spec.contract.exponent

    def amount(self, minor: int) -> Json:
        return value(from_minor(minor, self.exponent))

    def of(self, minor: int) -> Json:
        """{currency, amount} as most of the standard's money objects are."""
        return {"currency": value(self.currency), "amount": self.amount(minor)}

    def exact(self, minor: int) -> Json:
        """{currency, amount: {exact}} as commitments of investment are."""
        return {"currency": value(self.currency), "amount": {"exact": self.amount(minor)}}

    def minor(self, amount: Decimal) -> int:
        return to_minor(amount, self.exponent)


def commitments(
    spec: ContractSpec, totals: LedgerTotals, money: Money, org: Mapping[str, str]
) -> list[Json]:
    """Each payer's commitment (its most it will pay) and the outcome payments it has remitted."""
    received: dict[str, int] = defaultdict(int)
    for r in totals.remittances:
        received[r.payer] += r.amount
    out = []
    for payer in spec.payers:
        item: Json = {"organisation_id": value(org[payer.party])}
        if payer.commitment is not None:
            item["maximum_potential_outcome_payment"] = money.of(money.minor(payer.commitment))
        item["total_outcome_payments"] = money.of(received[payer.party])
        item["source_ids"] = SOURCE
        out.append(item)
    return out


def payments(
    spec: ContractSpec, totals: LedgerTotals, money: Money, org: Mapping[str, str]
) -> list[Json]:
    """Each posted line of a claim matched by a remittance: what was paid, for which period."""
    paid = {
        (c.payer, c.period)
        for c in totals.claims
        if totals.matching.of_claim(c.key).status is Status.MATCHED and c.amount != 0
    }
    frequency = spec.contract.payment_frequency
    out = []
    for line in totals.posted:
        if (line.payer, line.period) not in paid or line.amount == 0:
            continue
        period = parse_period(line.period, frequency)
        out.append(
            {
                "outcome_metric_id": value(line.metric),
                "period": {
                    "start_date": value(period.start.isoformat()),
                    "end_date": value(period.end.isoformat()),
                },
                "payer_organisation_id": value(org.get(line.payer, line.payer)),
                "type": value("Actual"),
                "money": money.of(line.amount),
                "source_ids": SOURCE,
            }
        )
    return out


def transactions(
    spec: ContractSpec, totals: LedgerTotals, money: Money, org: Mapping[str, str]
) -> list[Json]:
    """The money that moved: each remittance, and each tranche's capital drawn or distributed."""
    out: list[Json] = [
        {
            "date": value(r.received_on.isoformat()),
            "sending_organisation_id": value(org.get(r.payer, r.payer)),
            "transaction_type": value("Outcome Payment"),
            "money": money.of(r.amount),
            "source_ids": SOURCE,
        }
        for r in sorted(totals.remittances, key=lambda r: (r.received_on, r.remittance_id))
    ]
    if spec.investment is None:
        return out
    for flow in totals.cash:
        if flow.kind not in (CashKind.CAPITAL_DRAWN, CashKind.DISTRIBUTION) or not flow.tranche:
            continue
        tranche = spec.investment.tranche(flow.tranche)
        investor = value(org.get(tranche.investor, tranche.investor))
        item: Json = {"investment_id": value(tranche.id), "date": value(flow.on.isoformat())}
        if flow.kind is CashKind.CAPITAL_DRAWN:
            item |= {"sending_organisation_id": investor}
            kind = DRAWN_AS[tranche.kind]
        else:
            item |= {"receiving_organisation_id": investor}
            kind = _distributed_as(flow.component, tranche.kind)
        item |= {"transaction_type": value(kind), "money": money.of(flow.amount)}
        out.append(item | {"source_ids": SOURCE})
    return out


def _distributed_as(component: str, kind: TrancheKind) -> str:
    if component == Component.CAPITAL:
        return "Capital Repayment"
    if component == Component.RETURN and kind in (TrancheKind.SENIOR_LOAN, TrancheKind.JUNIOR_LOAN):
        return "Interest Payment"
    return "Other"
