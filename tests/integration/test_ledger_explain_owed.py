"""`ledger explain` says what will be owed if nothing else changes (SEMANTICS.md 6), not only
what has been posted."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.explain import MetricStory, explain_participant, render
from ledger.services.postings import post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work

DAY = timedelta(days=1)


def _story(engine: Engine, at: datetime, metric: str) -> tuple[MetricStory, list[str]]:
    with unit_of_work(engine) as session:
        explanation = explain_participant(session, "dwp-test", "acme/P1", at)
    return next(s for s in explanation.metrics if s.metric == metric), render(explanation)


def test_owed_before_posting_then_paid_after(
    engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, uploads / "participants_good.csv", actor="t", now=now
        )
        import_evidence(
            session, "dwp-test", active, uploads / "evidence_good.csv", actor="p", now=now
        )
        decisions = tmp_path / "decisions.csv"
        decisions.write_text("evidence_id,decision,reason\nE1,verified,\n")
        import_decisions(session, "dwp-test", decisions, actor="dwp", now=now + DAY)

    story, text = _story(engine, now + 2 * DAY, "job_entry")
    assert story.paid == Decimal("0.00")
    assert story.owed > 0
    assert any("to post at the next run" in line for line in text)

    with unit_of_work(engine) as session:
        post_entitlement(session, "dwp-test", "2016-Q1", now + 2 * DAY, "run-1", now=now + 2 * DAY)
    story_after, text_after = _story(engine, now + 3 * DAY, "job_entry")
    assert story_after.paid == story.owed == story_after.owed
    assert not any("to post at the next run" in line for line in text_after)
