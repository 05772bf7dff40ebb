"""The investment vehicle: cash transactions (read by investors, recorded by the intermediary)
and investors' returns to date.

An investor reads the returns of its own tranches (and of its holding, when it holds several);
the intermediary reads every tranche's and the vehicle's. Of the vehicle's cash account an
investor reads the vehicle's own transactions (outcome income, fees, costs) and its own
tranches' draws and distributions, never another investor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import Engine

from api.auth import allow, reach
from api.controllers.imports import ImportKind, import_handlers
from api.controllers.responses import READ
from contract_specs.model import Role, from_minor
from ledger.domain.finance.returns import returns_of_investor, returns_table, seen_by_investor
from ledger.intake.row_checks import Upload
from ledger.services.cash import OPTIONAL, REQUIRED, investment_of, load_cash
from ledger.services.checked_import import CheckedImport
from ledger.services.contracts import active_spec
from ledger.storage.db import reading
from ledger.storage.tokens import Caller
from reconciliation.income import cash_by_hand_import
from reporting.investor_tables import rate_percent

READERS = (Role.INTERMEDIARY, Role.INVESTOR)
On = Annotated[
    date | None,
    QueryParameter(required=False, description="Returns as of this day; default today (UTC)."),
]


@dataclass
class CashOut:
    """One cash transaction of the vehicle (amount positive, in the direction `kind` says)."""

    date: date
    kind: str
    amount: Decimal
    tranche: str
    party: str
    component: str
    reference: str


@dataclass
class ReturnsOut:
    """Returns to date of a tranche, an investor's holding, or the whole vehicle (`all`).

    `irr_percent` is the annual internal rate of return as a decimal string (null while it
    is not defined, e.g. before any distribution); `money_multiple` is distributed / drawn."""

    subject: str
    investor: str
    committed: Decimal
    drawn: Decimal
    distributed: Decimal
    capital_returned: Decimal
    capital_outstanding: Decimal
    gain: Decimal
    irr_percent: str | None
    money_multiple: Decimal | None


def _cash(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return cash_by_hand_import(contract_id, upload, actor=caller.actor, now=datetime.now(UTC))


CASH = ImportKind("cash", (*REQUIRED, *OPTIONAL), _cash)


class InvestorsController(Controller):
    """Cash and returns of the contract's investment vehicle."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("investors",)

    @get(
        "/cash",
        operation_id="listCashTransactions",
        responses=READ,
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def cash(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> list[CashOut]:
        """Every cash transaction of the vehicle, in date order; amounts are decimal strings.
        An investor's token: the vehicle's own and its own tranches' only."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            flows = load_cash(session, contract_id)
        e = spec.contract.exponent
        if caller.role is Role.INVESTOR:
            investment = investment_of(contract_id, spec)
            flows = seen_by_investor(investment, caller.party_id, flows)
        return [
            CashOut(
                f.on, str(f.kind), from_minor(f.amount, e), f.tranche, f.party, f.component,
                f.reference,
            )
            for f in flows
        ]  # fmt: skip

    @get(
        "/returns",
        operation_id="investorReturns",
        responses=READ,
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def returns(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        on: On = None,
    ) -> list[ReturnsOut]:
        """Per tranche, per investor holding several, and for the vehicle (intermediary only);
        an investor sees its own. 422 when the spec declares no investment."""
        day = on or datetime.now(UTC).date()
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            investment = investment_of(contract_id, spec)
            flows = load_cash(session, contract_id)
        e = spec.contract.exponent
        rows = returns_table(investment, flows, day, e)
        if caller.role is Role.INVESTOR:
            rows = returns_of_investor(rows, caller.party_id)

        def money(minor: int) -> Decimal:
            return from_minor(minor, e)

        return [
            ReturnsOut(
                subject=r.subject,
                investor=r.investor,
                committed=money(r.committed),
                drawn=money(r.drawn),
                distributed=money(r.distributed),
                capital_returned=money(r.capital_returned),
                capital_outstanding=money(r.capital_outstanding),
                gain=money(r.gain),
                irr_percent=rate_percent(r.irr) or None,
                money_multiple=r.money_multiple,
            )
            for r in rows
        ]

    cash_rows, cash_file = import_handlers(
        CASH,
        path="/cash",
        operation="Cash",
        what="Record cash transactions",
        columns="date, kind, amount, reference (tranche, party, component as the kind needs)",
        guards=[allow(Role.INTERMEDIARY)],
    )
