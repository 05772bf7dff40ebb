"""What reconciliation has recorded about money from a payer: claims, remittances, verdict.

Reconciliation's claims and remittances tables are still being written; until they land this
says nothing is known, and the report says so instead of showing a zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from contract_specs.model import ContractSpec
from reconciliation.periods import Period
from reporting.payer_summary import MoneyIn


def money_in(
    session: Session, spec: ContractSpec, period: Period, payer: str, cut_off: datetime
) -> MoneyIn:
    """The payer's claims, remittances, their matching and the period's verdict, as of cut-off."""
    del session, spec, period, payer, cut_off  # read once reconciliation records them
    return MoneyIn()
