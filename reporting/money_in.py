"""What reconciliation has recorded about money from a payer: claims, remittances, verdict.

Read as of the report's cut-off: claims of the periods up to the report's, remittances received
on or before the cut-off's day, matched afresh (matching is a pure function of the two, as
reconciliation computes it), and the period's bridge from what its last run found owed to what
was received. Before any run or remittance, `known` stays False and the report says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from contract_specs.model import ContractSpec, from_minor, to_minor
from reconciliation.claims import load_claims
from reconciliation.matching import match
from reconciliation.periods import Period, parse_period
from reconciliation.remittances import load_remittances
from reconciliation.status import last_run, owed_by_payer, postings_by_payer
from reconciliation.verdict import bridge
from reporting.payer_summary import MoneyIn


def money_in(
    session: Session, spec: ContractSpec, period: Period, payer: str, cut_off: datetime
) -> MoneyIn:
    """The contract's claims and remittances as of `cut_off`, matched, and the verdict."""
    contract = spec.contract
    day = cut_off.date()
    claims = [
        c
        for c in load_claims(session, contract.id)
        if parse_period(c.period, contract.payment_frequency) <= period
    ]
    remittances = [r for r in load_remittances(session, contract.id) if r.received_on <= day]
    run = last_run(session, contract.id, period.id)
    if not claims and not remittances and run is None:
        return MoneyIn()
    tolerance = to_minor(contract.remittance_tolerance, contract.exponent)
    matching = match(claims, remittances, tolerance, day)
    owed = None if run is None else owed_by_payer(run.totals)
    found = bridge(
        period.id,
        owed,
        postings_by_payer(session, contract.id, period.id),
        claims,
        matching,
    )
    mine = next((p for p in found.payers if p.payer == payer), None)
    verdict = f"period {found.verdict.value}"
    if mine is not None:
        verdict = f"{payer}: {mine.verdict.value}; {verdict}"
        if mine.unexplained:
            amount = from_minor(mine.unexplained, contract.exponent)
            verdict += f"; {amount} {contract.currency} unexplained"
    return MoneyIn(tuple(claims), tuple(remittances), matching, verdict, known=True)
