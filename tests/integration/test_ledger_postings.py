"""Posting entitlement minus postings so far: first payments, adjustments, idempotent re-runs."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from ledger.domain.entitlement.types import LINE_COLUMNS, NOT_PAYABLE_COLUMNS, Entitlement
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.export import write_csv
from ledger.services.postings import PostResult, post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting

DAY = timedelta(days=1)


def lines(*rows: tuple[str, str, int, str, int]) -> Entitlement:
    """Entitlement lines from (participant, metric, occurrence, payer, amount)."""
    frame = pd.DataFrame(
        [
            {
                "participant_id": p,
                "cohort": "c1",
                "provider": "acme",
                "metric": m,
                "occurrence": n,
                "payer": payer,
                "amount": amount,
                "price": 350000,
                "achieved_on": pd.Timestamp("2015-03-01"),
                "evidence_ids": "E1",
                "cut_by": "",
                "reason": f"{m} at tariff",
            }
            for p, m, n, payer, amount in rows
        ],
        columns=list(LINE_COLUMNS),
    )
    return Entitlement(frame, pd.DataFrame(columns=list(NOT_PAYABLE_COLUMNS)))


def post(
    engine: Engine,
    period: str,
    run: str,
    at: datetime,
    entitlement: Entitlement | None = None,
    **kw: Any,
) -> PostResult:
    with unit_of_work(engine) as session:
        return post_entitlement(
            session, "dwp-test", period, at, run, now=at, entitlement=entitlement, **kw
        )


def postings(engine: Engine) -> list[tuple[str, str, str, int, str, str | None]]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(Posting).order_by(col(Posting.id))).all()
        return [
            (r.period, r.participant_id, r.payer, r.amount, r.kind, r.corrects_period) for r in rows
        ]


def test_first_posting_then_nothing_then_adjustments(
    engine: Engine, active: ActiveSpec, now: datetime
) -> None:
    owed = lines(("P1", "job_entry", 1, "dwp", 280000), ("P1", "job_entry", 1, "topup", 70000))
    first = post(engine, "2015-Q3", "run-1", now, owed)
    assert (first.postings, first.by_payer) == (2, {"dwp": 280000, "topup": 70000})
    assert post(engine, "2015-Q3", "run-2", now + DAY, owed).postings == 0
    cut = lines(("P1", "job_entry", 1, "dwp", 200000), ("P1", "job_entry", 1, "topup", 70000))
    assert post(engine, "2015-Q4", "run-3", now + 2 * DAY, cut).by_payer == {"dwp": -80000}
    gone = lines()
    assert post(engine, "2016-Q1", "run-4", now + 3 * DAY, gone).by_payer == {
        "dwp": -200000,
        "topup": -70000,
    }
    assert postings(engine) == [
        ("2015-Q3", "P1", "dwp", 280000, "outcome_payment", None),
        ("2015-Q3", "P1", "topup", 70000, "outcome_payment", None),
        ("2015-Q4", "P1", "dwp", -80000, "adjustment", "2015-Q3"),
        ("2016-Q1", "P1", "dwp", -200000, "adjustment", "2015-Q4"),
        ("2016-Q1", "P1", "topup", -70000, "adjustment", "2015-Q3"),
    ]
    with unit_of_work(engine) as session:
        reasons = [r.reason for r in session.scalars(select(Posting).order_by(col(Posting.id)))]
    assert reasons[0] == "job_entry at tariff"
    assert reasons[3] == "entitlement now 0.00, posted so far 2000.00: no longer owed"
    out = io.StringIO()
    with unit_of_work(engine) as session:
        assert write_csv(session, "dwp-test", out) == 5
    amounts = [line.split(",")[8] for line in out.getvalue().splitlines()[1:]]
    assert amounts == ["2800.00", "700.00", "-800.00", "-2000.00", "-700.00"]


def test_a_closed_period_refuses_and_posts_nothing(
    engine: Engine, active: ActiveSpec, now: datetime
) -> None:
    class Closed(Exception):
        pass

    def closed(period: str) -> None:
        raise Closed(period)

    with pytest.raises(Closed):
        post(
            engine,
            "2015-Q3",
            "run-1",
            now,
            lines(("P1", "job_entry", 1, "dwp", 1)),
            check_period=closed,
        )
    assert postings(engine) == []


def test_real_engine_pays_verified_evidence_and_reverses_a_revocation(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, uploads / "participants_good.csv", actor="t", now=now
        )
        import_evidence(
            session, "dwp-test", active, uploads / "evidence_good.csv", actor="acme", now=now
        )
    verify = tmp_path / "v.csv"
    verify.write_text("evidence_id,decision,reason\nE1,verified,\n")
    with unit_of_work(engine) as session:
        import_decisions(session, "dwp-test", verify, actor="dwp", now=now + DAY)
    paid = post(engine, "2016-Q1", "run-1", now + DAY)
    assert paid.by_payer == {"dwp": 280000, "topup": 70000}  # 3,500 split 80/20
    assert post(engine, "2016-Q1", "run-2", now + 2 * DAY).postings == 0
    verify.write_text("evidence_id,decision,reason\nE1,revoked,employer withdrew the letter\n")
    with unit_of_work(engine) as session:
        import_decisions(session, "dwp-test", verify, actor="dwp", now=now + 3 * DAY)
    # as of before the revocation nothing changes; after it, both payers are credited back
    assert post(engine, "2016-Q1", "run-3", now + 2 * DAY).postings == 0
    back = post(engine, "2016-Q2", "run-4", now + 4 * DAY)
    assert back.by_payer == {"dwp": -280000, "topup": -70000}
    assert [p[4] for p in postings(engine)] == ["outcome_payment"] * 2 + ["adjustment"] * 2
