"""Verification decisions in bulk, checked against a model of the rules written here.

A decisions file may name a handful of a contract's evidence rows (a revocations file) or nearly
all of them (the verifier's quarterly file); the import reads what is stored differently for
each and in batches. Whatever the path, every row must see its evidence's latest decision, and a
file with one bad row must store nothing. Statuses afterwards are read back through the facts
(ledger.services.facts), which the import does not use.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ledger.domain.errors import RejectedUpload
from ledger.services import verification_status
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.facts import load_facts
from ledger.services.verification import import_decisions
from ledger.storage import bulk
from ledger.storage.db import unit_of_work
from ledger.storage.tables import VerificationDecision, table_of

CONTRACT = "dwp-test"
EVIDENCE = [f"E{n}" for n in range(1, 41)]
HOUR = timedelta(hours=1)
# the documented moves: (status before, decision) -> allowed
MOVES = {
    ("pending", "verified"),
    ("rejected", "verified"),
    ("revoked", "verified"),
    ("pending", "rejected"),
    ("verified", "revoked"),
}


@pytest.fixture
def forty(engine: Engine, active: ActiveSpec, uploads: Path, now: datetime, tmp_path: Path) -> None:
    """Forty evidence rows of a level 2 qualification, spread over three participants."""
    lines = ["evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference"]
    lines += [f"{e},P{1 + n % 3},nqf2,2015-07-01,,," for n, e in enumerate(EVIDENCE)]
    with unit_of_work(engine) as session:
        import_participants(
            session, CONTRACT, active, uploads / "participants_good.csv", actor="t", now=now
        )
        path = _write(tmp_path, "ev.csv", lines)
        import_evidence(session, CONTRACT, active, path, actor="acme", now=now)


def _write(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _decide(engine: Engine, path: Path, at: datetime) -> str:
    with unit_of_work(engine) as session:
        return str(import_decisions(session, CONTRACT, path, actor="verifier", now=at))


def _statuses(engine: Engine, active: ActiveSpec, at: datetime) -> dict[str, str]:
    """Each evidence id as the file wrote it (the ledger keys it acme/<id>) -> its status."""
    with unit_of_work(engine) as session:
        frame = load_facts(session, CONTRACT, at, active.spec).evidence
    assert frame["evidence_id"].str.startswith("acme/").all()
    ids = frame["evidence_id"].str.removeprefix("acme/")
    return dict(zip(ids, frame["status"], strict=True))


def _count(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(VerificationDecision)) or 0)


@pytest.mark.parametrize("seed", range(6))
def test_random_files_follow_the_rules_whether_few_or_most_ids_are_named(
    engine: Engine,
    active: ActiveSpec,
    forty: None,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    # tiny batches (reads, lookups, inserts) so that every file crosses several of each
    monkeypatch.setattr(verification_status, "BATCH", 3)
    monkeypatch.setattr(verification_status, "ID_CHUNK", 2)
    monkeypatch.setattr(bulk, "BATCH", 4)
    rng = random.Random(seed)
    model = dict.fromkeys(EVIDENCE, "pending")
    at = now
    for round_ in range(8):
        at += HOUR
        named = rng.sample(EVIDENCE, rng.choice([1, 3, 12, 35, 40]))
        decisions = {e: rng.choice(["verified", "rejected", "revoked"]) for e in named}
        path = _write(
            tmp_path,
            f"d{round_}.csv",
            ["evidence_id,decision,reason"] + [f"{e},{d},why" for e, d in decisions.items()],
        )
        refused = {
            row
            for row, (e, d) in enumerate(decisions.items(), start=2)
            if model[e] != d and (model[e], d) not in MOVES
        }
        before = _count(engine)
        if refused:
            with pytest.raises(RejectedUpload) as caught:
                _decide(engine, path, at)
            assert {(e.row, e.column) for e in caught.value.errors} == {
                (row, "decision") for row in refused
            }
            assert _count(engine) == before  # nothing from the file was stored
        else:
            new = sum(model[e] != d for e, d in decisions.items())
            assert _decide(engine, path, at) == f"{new} new, {len(decisions) - new} unchanged"
            model.update(decisions)
            assert _count(engine) == before + new
        assert _statuses(engine, active, at) == model


def test_decisions_made_at_the_same_moment_are_ordered_as_stored(
    engine: Engine, active: ActiveSpec, forty: None, now: datetime, tmp_path: Path
) -> None:
    header = "evidence_id,decision,reason"
    at = now + HOUR
    _decide(engine, _write(tmp_path, "v.csv", [header, "E1,verified,"]), at)
    _decide(engine, _write(tmp_path, "r.csv", [header, "E1,revoked,letter withdrawn"]), at)
    # the revocation is the latest: sending it again changes nothing, rejecting is refused
    assert _decide(engine, _write(tmp_path, "r2.csv", [header, "E1,revoked,again"]), at) == (
        "0 new, 1 unchanged"
    )
    with pytest.raises(RejectedUpload) as caught:
        _decide(engine, _write(tmp_path, "x.csv", [header, "E1,rejected,no"]), at)
    assert caught.value.lines() == [
        "x.csv:2: decision: cannot follow revoked: only pending or automatic evidence can be "
        "rejected "
        "(verified evidence is revoked instead)"
    ]


def test_every_problem_of_a_large_file_is_named_in_one_pass(
    engine: Engine, active: ActiveSpec, forty: None, now: datetime, tmp_path: Path
) -> None:
    rows = [f"{e},verified," for e in EVIDENCE]
    rows[5] = "E6,approved,"  # row 7
    rows[20] = "E21,rejected,"  # row 22: no reason
    rows[30] = "E999,verified,"  # row 32: not evidence of this contract
    rows[39] = "E2,verified,"  # row 41: E2 again (first at row 3)
    path = _write(tmp_path, "big.csv", ["evidence_id,decision,reason", *rows])
    with pytest.raises(RejectedUpload) as caught:
        _decide(engine, path, now + HOUR)
    assert caught.value.lines() == [
        "big.csv:7: decision: must be one of verified, rejected, revoked",
        "big.csv:22: reason: is empty: say why the evidence is rejected or revoked",
        "big.csv:32: evidence_id: is not evidence of this contract: import the evidence first",
        "big.csv:41: evidence_id: appears again in this file (first at row 3)",
    ]
    assert _count(engine) == 0


def test_each_stored_decision_names_its_file_and_row(
    engine: Engine,
    active: ActiveSpec,
    forty: None,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BATCH", 1)  # each row its own insert batch
    lines = ["evidence_id,decision,reason", "E3,verified,", "", "E9,rejected,x", "E4,verified,"]
    path = _write(tmp_path, "q1.csv", lines)
    assert _decide(engine, path, now + HOUR) == "3 new, 0 unchanged"
    table = table_of(VerificationDecision)
    with unit_of_work(engine) as session:
        stored = session.execute(
            select(table.c.decision, table.c.reason, table.c.actor, table.c.source).order_by(
                table.c.id
            )
        ).all()
    assert [tuple(row) for row in stored] == [
        ("verified", "", "verifier", "q1.csv:2"),
        ("rejected", "x", "verifier", "q1.csv:4"),
        ("verified", "", "verifier", "q1.csv:5"),
    ]
