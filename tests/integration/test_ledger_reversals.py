"""A posting that pays back a key no longer owed says which evidence it reverses and why."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import col

from ledger.domain.entitlement.types import LINE_COLUMNS, NOT_PAYABLE_COLUMNS, Entitlement
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.explain import explain_participant, render
from ledger.services.export import write_csv
from ledger.services.postings import post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.periods import period_containing
from reconciliation.runs import reconcile

DAY = timedelta(days=1)


def _decide(engine: Engine, folder: Path, at: datetime, *rows: str) -> None:
    decisions = folder / "decisions.csv"
    decisions.write_text("evidence_id,decision,reason\n" + "\n".join(rows) + "\n")
    with unit_of_work(engine) as session:
        import_decisions(session, "dwp-test", decisions, actor="dwp", now=at)


def _post(engine: Engine, period: str, run: str, at: datetime, **kw: Any) -> None:
    with unit_of_work(engine) as session:
        post_entitlement(session, "dwp-test", period, at, run, now=at, **kw)


def _postings(engine: Engine) -> list[Posting]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(Posting).order_by(col(Posting.id))).all()
        session.expunge_all()
        return list(rows)


def _world(engine: Engine, active: ActiveSpec, uploads: Path, now: datetime) -> None:
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, uploads / "participants_good.csv", actor="t", now=now
        )
        import_evidence(
            session, "dwp-test", active, uploads / "evidence_good.csv", actor="acme", now=now
        )


def test_a_reconcile_run_that_pays_back_names_the_revocation_too(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    # a run builds only the not-payable rows of people paid before: enough to explain this
    _world(engine, active, uploads, now)
    _decide(engine, tmp_path, now + DAY, "E1,verified,")
    frequency = active.spec.contract.payment_frequency
    first = period_containing((now + DAY).date(), frequency).id
    reconcile(engine, "dwp-test", first, now + DAY, actor="t", now=now + DAY)
    _decide(engine, tmp_path, now + 3 * DAY, "E1,revoked,employer withdrew the letter")
    later = now + 200 * DAY
    reconcile(
        engine,
        "dwp-test",
        period_containing(later.date(), frequency).id,
        later,
        actor="t",
        now=later,
    )
    back = [p for p in _postings(engine) if p.amount < 0]
    assert len(back) == 2
    for posting in back:
        assert posting.reason.endswith(
            "no longer owed: evidence acme/E1 revoked (the evidence was revoked)"
        )


def test_a_revocation_pays_back_naming_the_evidence_and_the_revocation(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    _world(engine, active, uploads, now)
    _decide(engine, tmp_path, now + DAY, "E1,verified,")
    _post(engine, "2016-Q1", "run-1", now + DAY)
    _decide(engine, tmp_path, now + 3 * DAY, "E1,revoked,employer withdrew the letter")
    _post(engine, "2016-Q2", "run-2", now + 4 * DAY)

    back = [p for p in _postings(engine) if p.amount < 0]
    assert sorted((p.payer, p.amount) for p in back) == [("dwp", -280000), ("topup", -70000)]
    for posting in back:
        assert posting.evidence_ids == "acme/E1"
        assert posting.reason.startswith("entitlement now 0.00, posted so far ")
        assert posting.reason.endswith(
            "no longer owed: evidence acme/E1 revoked (the evidence was revoked)"
        )

    with unit_of_work(engine) as session:
        text = render(explain_participant(session, "dwp-test", "acme/P1", now + 5 * DAY))
        out = io.StringIO()
        write_csv(session, "dwp-test", out)
    reversal_lines = [i for i, line in enumerate(text) if "adjustment" in line]
    assert len(reversal_lines) == 2
    for i in reversal_lines:
        assert "evidence acme/E1 revoked" in text[i]
        assert text[i + 1] == "    from evidence acme/E1"
    exported = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["kind"] == "adjustment"]
    assert [r["evidence_ids"] for r in exported] == ["acme/E1", "acme/E1"]
    assert all("acme/E1 revoked" in r["reason"] for r in exported)


def test_a_payment_whose_prerequisite_is_revoked_is_paid_back_as_no_longer_valid(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    _world(engine, active, uploads, now)
    _decide(engine, tmp_path, now + DAY, "E1,verified,", "E2,verified,")
    _post(engine, "2016-Q1", "run-1", now + DAY)
    paid = {p.metric for p in _postings(engine)}
    assert paid == {"job_entry", "job_sustained"}
    _decide(engine, tmp_path, now + 2 * DAY, "E1,revoked,wrong person")
    _post(engine, "2016-Q1", "run-2", now + 3 * DAY)
    back = {(p.metric, p.payer): p for p in _postings(engine) if p.run_id == "run-2"}
    assert set(back) == {(m, payer) for m in paid for payer in ("dwp", "topup")}
    sustained = back[("job_sustained", "dwp")]
    assert sustained.evidence_ids == "acme/E2"
    assert "no longer owed: evidence acme/E2 prerequisite_not_met (" in sustained.reason
    assert back[("job_entry", "topup")].evidence_ids == "acme/E1"
    assert "evidence acme/E1 revoked" in back[("job_entry", "topup")].reason


def _entitlement(
    rows: list[tuple[str, int, str, int]], not_payable: list[dict[str, str]]
) -> Entitlement:
    lines = pd.DataFrame(
        [
            {
                "participant_id": "P1",
                "cohort": "c1",
                "provider": "acme",
                "metric": "nqf2",
                "occurrence": n,
                "payer": "dwp",
                "amount": amount,
                "price": 330000,
                "achieved_on": pd.Timestamp("2015-03-01"),
                "evidence_ids": ids,
                "cut_by": "",
                "reason": "nqf2 at tariff",
            }
            for _, n, ids, amount in rows
        ],
        columns=list(LINE_COLUMNS),
    )
    return Entitlement(lines, pd.DataFrame(not_payable, columns=list(NOT_PAYABLE_COLUMNS)))


def test_when_occurrences_renumber_the_reversal_says_where_the_evidence_counts_now(
    engine: Engine, active: ActiveSpec, now: datetime
) -> None:
    first = _entitlement([("P1", 1, "A", 100), ("P1", 2, "B", 100)], [])
    _post(engine, "2015-Q3", "run-1", now, entitlement=first)
    outside = {
        "evidence_id": "A",
        "participant_id": "P1",
        "metric": "nqf2",
        "achieved_on": "2015-03-01",
        "reason": "outside_window",
        "detail": "achieved after the window",
    }
    # A stops counting, so B becomes occurrence 1 (same amount: no posting) and key 2 is gone
    later = _entitlement([("P1", 1, "B", 100)], [outside])
    _post(engine, "2015-Q4", "run-2", now + DAY, entitlement=later)
    back = [p for p in _postings(engine) if p.run_id == "run-2"]
    assert [(p.occurrence, p.amount, p.evidence_ids) for p in back] == [(2, -100, "B")]
    assert back[0].reason.endswith("no longer owed: evidence B counts for nqf2 occurrence 1 now")


def test_a_key_without_known_evidence_keeps_the_plain_reason(
    engine: Engine, active: ActiveSpec, now: datetime
) -> None:
    _post(engine, "2015-Q3", "run-1", now, entitlement=_entitlement([("P1", 1, "", 100)], []))
    _post(engine, "2015-Q4", "run-2", now + DAY, entitlement=_entitlement([], []))
    back = [p for p in _postings(engine) if p.run_id == "run-2"]
    assert [(p.evidence_ids, p.reason) for p in back] == [
        ("", "entitlement now 0.00, posted so far 1.00: no longer owed")
    ]
