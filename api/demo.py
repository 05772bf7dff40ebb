"""The demo world a newcomer starts with (`make run`, `outcomes demo`).

The Fair Chance Fund example contract, generated participants and evidence arriving quarter by
quarter (some late, some rejected, one revoked after payment), every quarter reconciled and all
but the last closed and paid, and one token per role. It drives the same service functions the
CLI and the API call, so the demo shows the product as it is, not a mock-up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import FeeKind, Frequency, Role, from_minor, to_minor
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.services.cash import distribute, record_cash
from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import ContractRow
from ledger.storage.tokens import create_token
from reconciliation.claims import load_claims
from reconciliation.periods import Period, parse_period
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile
from synthetic.generate import generate

EXAMPLES = Path(__file__).resolve().parents[1] / "contract_specs" / "examples"
DEMO_SPEC = EXAMPLES / "fair-chance-fund-ambition.yaml"
DEMO_CONTRACT = "fcf-ambition"
DEMO_QUARTERS = tuple(
    f"{year}-Q{q}" for year in (2015, 2016) for q in (1, 2, 3, 4)
)  # reconciled in turn; the last stays open and unpaid, so its claims show as pending


@dataclass(frozen=True)
class DemoToken:
    role: Role
    party: str
    secret: str


def _frozen(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at `moment`: the demo replays history as it would have happened."""
    return lambda: moment


def _moment(period: Period, days: int, hour: int = 12) -> datetime:
    return datetime.combine(period.end + timedelta(days=days), time(hour), tzinfo=UTC)


def _csv(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def is_loaded(engine: Engine) -> bool:
    """Whether the demo contract is already in this database (then nothing is rebuilt)."""
    with unit_of_work(engine) as session:
        found = session.scalars(select(ContractRow).where(col(ContractRow.id) == DEMO_CONTRACT))
        return found.first() is not None


def build_demo(engine: Engine, participants: int = 600, seed: int = 2015) -> None:
    """Load the demo contract and a generated history into an empty ledger."""
    data = generate(DEMO_SPEC, participants, seed=seed)
    evidence = data.evidence.merge(data.submitted_on, on="evidence_id")
    quarters = [parse_period(q, Frequency.QUARTERLY) for q in DEMO_QUARTERS]
    with tempfile.TemporaryDirectory(prefix="outcomes-demo-") as tmp:
        folder = Path(tmp)
        with unit_of_work(engine) as session:
            start = datetime(2015, 1, 1, tzinfo=UTC)
            load_spec_file(session, DEMO_SPEC, actor="sib-manager", now=start)
            import_participants(
                session,
                DEMO_CONTRACT,
                active_spec(session, DEMO_CONTRACT),
                _csv(folder, "participants", data.participants),
                actor="ambition",
                now=start + timedelta(days=1),
            )
        revocations = data.revocations
        for index, quarter in enumerate(quarters):
            _submit_quarter(
                engine, folder, data.evidence.columns, evidence, data.decisions, quarter
            )
            _fund_quarter(engine, quarter, len(quarters))
            if index == 2:
                _revoke_after_audit(engine, folder, evidence, revocations, quarter)
            run_at = _moment(quarter, 5)
            last = index == len(quarters) - 1
            reconcile(
                engine,
                DEMO_CONTRACT,
                quarter.id,
                run_at,
                close=not last,
                actor="sib-manager",
                now=run_at,
                clock=_frozen(run_at),
            )
            if not last:
                _pay_claims(engine, folder, quarter, run_at + timedelta(days=14))
        # the last run recorded the outcome income received; the vehicle pays it out
        _distribute(engine, _moment(quarters[-1], 7))


def _submit_quarter(
    engine: Engine,
    folder: Path,
    columns: pd.Index,
    evidence: pd.DataFrame,
    decisions: pd.DataFrame,
    quarter: Period,
) -> None:
    """The evidence submitted during the quarter, and the payer's decisions on it."""
    batch = evidence[
        (evidence["submitted_on"] >= pd.Timestamp(quarter.start))
        & (evidence["submitted_on"] <= pd.Timestamp(quarter.end))
    ]
    if batch.empty:
        return
    with unit_of_work(engine) as session:
        import_evidence(
            session,
            DEMO_CONTRACT,
            active_spec(session, DEMO_CONTRACT),
            _csv(folder, f"evidence-{quarter.id}", batch[list(columns)]),
            actor="ambition",
            now=_moment(quarter, 0, hour=9),
        )
        decided = decisions[decisions["evidence_id"].isin(batch["evidence_id"])]
        if not decided.empty:
            import_decisions(
                session,
                DEMO_CONTRACT,
                _csv(folder, f"decisions-{quarter.id}", decided),
                actor="dclg",
                now=_moment(quarter, 0, hour=15),
            )


def _fund_quarter(engine: Engine, quarter: Period, quarters: int) -> None:
    """The investors' capital is drawn over the first half of the demo; Ambition's fee is paid
    from it quarter by quarter (the spec's fixed service fee, spread evenly)."""
    with unit_of_work(engine) as session:
        active = active_spec(session, DEMO_CONTRACT)
        investment = active.spec.investment
        if investment is None:
            return
        exponent = active.spec.contract.exponent
        index = DEMO_QUARTERS.index(quarter.id)
        flows = []
        if index < quarters // 2:
            for tranche in investment.tranches:
                flows.append(
                    CashFlow(
                        on=quarter.start,
                        kind=CashKind.CAPITAL_DRAWN,
                        amount=to_minor(tranche.commitment, exponent) // (quarters // 2),
                        tranche=tranche.id,
                        party=tranche.investor,
                        reference=f"draw-{tranche.id}-{quarter.id}",
                    )
                )
        for fee in investment.service_fees:
            if fee.kind is FeeKind.FIXED and fee.amount is not None:
                flows.append(
                    CashFlow(
                        on=quarter.start + timedelta(days=14),
                        kind=CashKind.SERVICE_FEE,
                        amount=to_minor(fee.amount, exponent) // quarters,
                        party=fee.provider,
                        component=fee.kind.value,
                        reference=f"fee-{fee.provider}-{quarter.id}",
                    )
                )
        record_cash(
            session, DEMO_CONTRACT, active, flows, actor="sib-manager", now=_moment(quarter, -80)
        )


def _distribute(engine: Engine, at: datetime) -> None:
    """Pay the vehicle's cash on hand to the investors through the waterfall."""
    with unit_of_work(engine) as session:
        active = active_spec(session, DEMO_CONTRACT)
        if active.spec.investment is not None:
            distribute(session, DEMO_CONTRACT, active, at.date(), actor="sib-manager", now=at)


def _revoke_after_audit(
    engine: Engine,
    folder: Path,
    evidence: pd.DataFrame,
    revocations: pd.DataFrame,
    quarter: Period,
) -> None:
    """An audit revokes evidence already submitted (and maybe paid): negative adjustments."""
    known = evidence.loc[evidence["submitted_on"] <= pd.Timestamp(quarter.end), "evidence_id"]
    revoked = revocations[revocations["evidence_id"].isin(known)]
    if revoked.empty:
        return
    with unit_of_work(engine) as session:
        import_decisions(
            session,
            DEMO_CONTRACT,
            _csv(folder, "revocations", revoked),
            actor="dclg",
            now=_moment(quarter, -10),
        )


def _pay_claims(engine: Engine, folder: Path, quarter: Period, paid_at: datetime) -> None:
    """Each payer pays each of the quarter's claims in full, quoting its reference."""
    with unit_of_work(engine) as session:
        spec = active_spec(session, DEMO_CONTRACT).spec
        claims = [c for c in load_claims(session, DEMO_CONTRACT, quarter.id) if c.amount > 0]
        if not claims:
            return
        money = pd.DataFrame(
            [
                {
                    "payer": c.payer,
                    "amount": str(from_minor(c.amount, spec.contract.exponent)),
                    "date": paid_at.date().isoformat(),
                    "reference": c.reference,
                }
                for c in claims
            ]
        )
        import_remittances(
            session,
            DEMO_CONTRACT,
            spec,
            _csv(folder, f"remittances-{quarter.id}", money),
            actor="finance",
            now=paid_at,
        )


def demo_tokens(engine: Engine, now: datetime) -> list[DemoToken]:
    """One new token per role, for the demo contract's party in that role."""
    made: list[DemoToken] = []
    with unit_of_work(engine) as session:
        spec = active_spec(session, DEMO_CONTRACT).spec
        for role in Role:
            parties = spec.parties_with(role)
            if not parties:
                continue
            party = parties[0].id
            token = create_token(session, role.value, party, DEMO_CONTRACT, actor="demo", now=now)
            made.append(DemoToken(role, party, token.secret))
    return made
