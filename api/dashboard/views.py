"""What a contract page shows, read through the ledger's own services under the API's rules.

Money readers (intermediary, commissioner, investor) see each period's status, verdict and
bridge (claimed, received, outstanding) from reconciliation.status, a commissioner only its
own payer's line (api.auth.own_payer). A provider sees its own participants (ledger.storage.keys
namespace) and never the money of payers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from api.auth import own_payer
from api.controllers.reconciliation import _payers_bridge
from contract_specs.model import from_minor
from ledger.services.contracts import active_spec
from ledger.storage.keys import in_namespace, local_of
from ledger.storage.tables import Participant, table_of
from ledger.storage.tokens import Caller
from reconciliation.periods import periods_so_far
from reconciliation.status import period_bridge, period_row


@dataclass(frozen=True)
class PeriodLine:
    period: str
    status: str
    verdict: str
    claimed: Decimal
    received: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.claimed - self.received


def period_lines(
    session: Session, caller: Caller, contract_id: str, today: date
) -> list[PeriodLine]:
    """Each period so far with its state and the caller's share of its bridge."""
    spec = active_spec(session, contract_id).spec
    exponent = spec.contract.exponent
    payer = own_payer(caller)
    lines = []
    for period in periods_so_far(spec.contract, today):
        row = period_row(session, contract_id, period.id)
        bridge = _payers_bridge(period_bridge(session, spec, period.id, today), payer)
        lines.append(
            PeriodLine(
                period.id,
                "not reconciled" if row is None else row.status,
                bridge.verdict.value,
                from_minor(sum(p.claimed for p in bridge.payers), exponent),
                from_minor(sum(p.received for p in bridge.payers), exponent),
            )
        )
    return lines


def own_participants(
    session: Session, contract_id: str, provider: str, limit: int = 200
) -> list[str]:
    """A provider's participant ids (its own local ids), first `limit` in order."""
    table = table_of(Participant)
    keys = session.scalars(
        select(table.c.participant_id)
        .where(
            table.c.contract_id == contract_id,
            in_namespace(table.c.participant_id, provider),
        )
        .order_by(table.c.participant_id)
        .limit(limit)
    ).all()
    return [local_of(k) for k in keys]


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    period: str
    label: str


def bars(values: list[tuple[str, Decimal]], width: int = 24, height: int = 120) -> list[Bar]:
    """An SVG bar chart's bars, drawn on the server so the figure needs no script; each
    bar's label is the text alternative."""
    top = max((v for _, v in values), default=Decimal(0)) or Decimal(1)
    out = []
    for i, (label, value) in enumerate(values):
        h = int(value / top * height)
        out.append(Bar(i * (width + 8), height - h, h, label, f"{label}: {value}"))
    return out
