"""Issue acceptance: a year of the Fair Chance Fund (Ambition), generated, reconciled quarter by
quarter with late evidence, a revocation after payment and a tariff amendment.

Every quarter reconciles with nothing unexplained, the claims to each payer add up to the
ledger, and re-running changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import Frequency, from_minor
from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.claims import load_claims
from reconciliation.errors import PeriodClosedError
from reconciliation.periods import Period, parse_period
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile
from reconciliation.status import period_bridge
from synthetic.generate import generate

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "fair-chance-fund-ambition.yaml"
CONTRACT = "fcf-ambition"
QUARTERS = [
    parse_period(q, Frequency.QUARTERLY) for q in ("2015-Q1", "2015-Q2", "2015-Q3", "2015-Q4")
]


def _same(at: datetime) -> datetime:
    """A clock stopped at `at`."""
    return at


def end_of(period: Period, days: int = 0, hour: int = 12) -> datetime:
    return datetime.combine(period.end + timedelta(days=days), time(hour), tzinfo=UTC)


def amended_spec(folder: Path) -> Path:
    """The spec with accommodation entry at 600.00 for outcomes from 1 July 2015 on."""
    text = SPEC.read_text()
    block = text.index("  - id: accommodation_entry")
    line = '      - {from: 2015-01-01, price: "500.00"}\n'
    at = text.index(line, block) + len(line)
    amended = text[:at] + '      - {from: 2015-07-01, price: "600.00"}\n' + text[at:]
    path = folder / "fcf-amended.yaml"
    path.write_text(amended)
    return path


def csv_file(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def postings_by(engine: Engine) -> dict[tuple[str, str], int]:
    with unit_of_work(engine) as session:
        found: dict[tuple[str, str], int] = defaultdict(int)
        for row in session.scalars(select(Posting)).all():
            found[(row.payer, row.period)] += row.amount
        return dict(found)


@pytest.mark.slow
def test_a_year_of_the_fair_chance_fund_reconciles_quarter_by_quarter(
    engine: Engine, tmp_path: Path
) -> None:
    data = generate(SPEC, 120, seed=3)
    evidence = data.evidence.merge(data.submitted_on, on="evidence_id")
    with unit_of_work(engine) as session:
        load_spec_file(session, SPEC, actor="manager", now=datetime(2015, 1, 1, tzinfo=UTC))
        active = active_spec(session, CONTRACT)
        people = csv_file(tmp_path, "participants", data.participants)
        import_participants(
            session,
            CONTRACT,
            active,
            people,
            actor="provider",
            now=datetime(2015, 1, 2, tzinfo=UTC),
        )

    revoked: tuple[str, str] = ("", "")
    for quarter in QUARTERS:
        batch = evidence[
            (evidence["submitted_on"] >= pd.Timestamp(quarter.start))
            & (evidence["submitted_on"] <= pd.Timestamp(quarter.end))
        ]
        decisions = data.decisions[data.decisions["evidence_id"].isin(batch["evidence_id"])]
        with unit_of_work(engine) as session:
            active = active_spec(session, CONTRACT)
            rows = batch[list(data.evidence.columns)]
            path = csv_file(tmp_path, f"evidence-{quarter}", rows)
            import_evidence(session, CONTRACT, active, path, actor="provider", now=end_of(quarter))
            path = csv_file(tmp_path, f"decisions-{quarter}", decisions)
            import_decisions(session, CONTRACT, path, actor="dclg", now=end_of(quarter, hour=13))
        if quarter.id == "2015-Q3":
            # an audit revokes evidence that was already paid
            with unit_of_work(engine) as session:
                paid = session.scalars(
                    select(Posting).where(col(Posting.period) == "2015-Q1", col(Posting.amount) > 0)
                ).first()
                assert paid is not None
                revoked = (paid.participant_id, paid.metric)
                evidence_id = paid.evidence_ids.split(";")[0]
                path = csv_file(
                    tmp_path,
                    "revocation",
                    pd.DataFrame(
                        [{"evidence_id": evidence_id, "decision": "revoked", "reason": "audit"}]
                    ),
                )
                import_decisions(session, CONTRACT, path, actor="dclg", now=end_of(quarter, -10))
        if quarter.id == "2015-Q4":
            with unit_of_work(engine) as session:
                load_spec_file(
                    session, amended_spec(tmp_path), actor="manager", now=end_of(quarter, -20)
                )

        run_at = end_of(quarter, days=5)
        report = reconcile(
            engine,
            CONTRACT,
            quarter.id,
            run_at,
            close=quarter.id != "2015-Q4",
            actor="manager",
            now=run_at,
            clock=partial(_same, run_at),
        )
        assert report.postings > 0
        assert report.bridge.unexplained == 0
        assert report.bridge.verdict == "reconciled_with_pending"  # claimed, not yet paid

        # the payers pay every claim of the quarter, quoting its reference
        with unit_of_work(engine) as session:
            claims = load_claims(session, CONTRACT, quarter.id)
            paid_on = (run_at + timedelta(days=10)).date().isoformat()
            money = pd.DataFrame(
                [
                    {
                        "payer": c.payer,
                        "amount": str(from_minor(c.amount, 2)),
                        "date": paid_on,
                        "reference": c.reference,
                    }
                    for c in claims
                ]
            )
            path = csv_file(tmp_path, f"remittances-{quarter}", money)
            spec = active_spec(session, CONTRACT).spec
            import_remittances(
                session, CONTRACT, spec, path, actor="finance", now=run_at + timedelta(days=10)
            )

    # claims per payer and period add up to the ledger
    ledger = postings_by(engine)
    with unit_of_work(engine) as session:
        claimed: dict[tuple[str, str], int] = defaultdict(int)
        for claim in load_claims(session, CONTRACT):
            claimed[(claim.payer, claim.period)] += claim.amount
    assert dict(claimed) == ledger

    # every quarter reconciles, with nothing unexplained
    with unit_of_work(engine) as session:
        spec = active_spec(session, CONTRACT).spec
        for quarter in QUARTERS:
            bridge = period_bridge(session, spec, quarter.id, datetime(2016, 1, 30).date())
            assert (quarter.id, bridge.verdict.value) == (quarter.id, "reconciled")
            assert bridge.unexplained == 0

    with unit_of_work(engine) as session:
        postings = session.scalars(select(Posting)).all()
    late = [p for p in postings if p.corrects_period and p.kind == "outcome_payment"]
    assert late, "late evidence lands in a later quarter and says which one it corrects"
    assert all(p.corrects_period is not None and p.corrects_period < p.period for p in late)
    key = [p for p in postings if (p.participant_id, p.metric) == revoked]
    assert {p.period for p in key if p.amount < 0} == {"2015-Q3"}
    assert sum(p.amount for p in key) == 0  # paid in Q1, reversed in Q3, nothing owed now
    amended = [p for p in postings if p.kind == "adjustment" and p.spec_version == 2]
    assert amended and all(p.metric == "accommodation_entry" and p.amount > 0 for p in amended)

    # re-running changes nothing; closed quarters refuse
    before = ledger
    again = reconcile(engine, CONTRACT, "2015-Q4", end_of(QUARTERS[3], 40), actor="manager")
    assert (again.postings, again.claims) == (0, ())
    with pytest.raises(PeriodClosedError):
        reconcile(engine, CONTRACT, "2015-Q2", end_of(QUARTERS[3], 40), actor="manager")
    assert postings_by(engine) == before
