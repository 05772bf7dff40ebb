"""Evidence of a metric verified `automatic` counts from submission, and can still be taken back:
rejected before it is paid (it is never paid), revoked after (paid back at the next run). The
decisions import, the facts, the engine and `ledger explain` read its status by one rule."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import ContractSpec, Verification
from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.explain import explain_participant
from ledger.services.facts import load_facts
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.periods import period_containing
from reconciliation.runs import reconcile
from tests.conftest import small_spec

DAY = timedelta(days=1)
CONTRACT = "dwp-test"


@pytest.fixture
def spec() -> ContractSpec:
    """The small spec with job entry verified automatically (everything else as it was)."""
    base = small_spec()
    metrics = tuple(
        dataclasses.replace(m, verification=Verification.AUTOMATIC) if m.id == "job_entry" else m
        for m in base.metrics
    )
    return dataclasses.replace(base, metrics=metrics, content_hash="test-automatic-spec")


@dataclasses.dataclass
class World:
    engine: Engine
    active: ActiveSpec
    now: datetime
    folder: Path

    def decide(self, at: datetime, row: str) -> str:
        path = self.folder / "decisions.csv"
        path.write_text(f"evidence_id,decision,reason\n{row}\n")
        with unit_of_work(self.engine) as session:
            return str(import_decisions(session, CONTRACT, path, actor="dwp", now=at))

    def reconcile(self, at: datetime) -> None:
        frequency = self.active.spec.contract.payment_frequency
        period = period_containing(at.date(), frequency).id
        reconcile(self.engine, CONTRACT, period, at, actor="t", now=at)

    def paid(self) -> int:
        """The sum of every posting of P1's job entry (minor units), all payers."""
        with unit_of_work(self.engine) as session:
            amounts = session.scalars(
                select(col(Posting.amount)).where(
                    col(Posting.participant_id) == "acme/P1", col(Posting.metric) == "job_entry"
                )
            ).all()
        return sum(amounts)

    def status(self, at: datetime) -> str:
        with unit_of_work(self.engine) as session:
            frame = load_facts(session, CONTRACT, at, self.active.spec).evidence
        return str(frame.loc[frame["evidence_id"] == "acme/E1", "status"].item())

    def unpaid(self, at: datetime) -> str:
        """What `ledger explain` says of E1 ("" when it counts)."""
        with unit_of_work(self.engine) as session:
            told = explain_participant(session, CONTRACT, "acme/P1", at)
        story = next(m for m in told.metrics if m.metric == "job_entry")
        return story.evidence[0].not_payable


@pytest.fixture
def world(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> World:
    """One participant with one job entry, no decision on it."""
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        "E1,P1,job_entry,2015-03-01,payslip,,REF-1\n"
    )
    with unit_of_work(engine) as session:
        import_participants(
            session, CONTRACT, active, uploads / "participants_good.csv", actor="t", now=now
        )
        import_evidence(session, CONTRACT, active, evidence, actor="acme", now=now)
    return World(engine, active, now, tmp_path)


def test_automatic_evidence_paid_then_revoked_is_clawed_back_at_the_next_run(world: World) -> None:
    first, later = world.now + DAY, world.now + 200 * DAY
    world.reconcile(first)
    assert world.paid() == 350000  # paid with no decision: automatic
    assert world.unpaid(first) == ""

    world.decide(world.now + 3 * DAY, "E1,revoked,the employer says the job never started")
    assert world.status(world.now + 4 * DAY) == "revoked"
    world.reconcile(later)
    assert world.paid() == 0
    assert world.unpaid(later).startswith("revoked")
    # the revocation is stored once: sending it again adds nothing
    again = world.decide(later, "E1,revoked,the employer says the job never started")
    assert again == "0 new, 1 unchanged"


def test_automatic_evidence_rejected_before_payment_is_never_paid(world: World) -> None:
    world.decide(world.now + DAY / 2, "E1,rejected,the payslip is not the participant's")
    at = world.now + DAY
    world.reconcile(at)
    assert world.paid() == 0
    assert world.status(at) == "rejected"
    assert world.unpaid(at).startswith("rejected")


def test_automatic_evidence_rejected_after_payment_is_clawed_back(world: World) -> None:
    world.reconcile(world.now + DAY)
    assert world.paid() == 350000
    world.decide(world.now + 3 * DAY, "E1,rejected,the payslip is not the participant's")
    world.reconcile(world.now + 200 * DAY)
    assert world.paid() == 0


def test_rejected_automatic_evidence_cannot_then_be_revoked(world: World) -> None:
    world.decide(world.now + DAY / 2, "E1,rejected,the payslip is not the participant's")
    with pytest.raises(RejectedUpload) as caught:
        world.decide(world.now + DAY, "E1,revoked,again")
    assert caught.value.lines() == [
        "decisions.csv:2: decision: cannot follow rejected: "
        "only verified or automatic evidence can be revoked"
    ]


def test_verified_automatic_evidence_can_be_revoked(world: World) -> None:
    world.decide(world.now + DAY / 2, "E1,verified,")
    world.reconcile(world.now + DAY)
    assert world.paid() == 350000
    world.decide(world.now + 3 * DAY, "E1,revoked,withdrawn")
    world.reconcile(world.now + 200 * DAY)
    assert world.paid() == 0
