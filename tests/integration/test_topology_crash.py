"""A process killed (SIGKILL) in the middle of an import or a reconciliation leaves no partial
rows, and running the same work again gives the ledger a run that was never killed gives.

The worker is a real process (multiprocessing spawn). It kills itself with SIGKILL right after
the database accepted a named statement (the first INSERT into postings, ...), so every crash
lands inside a transaction at a known point; the hook lives in this test, not in the product.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, table

from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.audit import verify_chain
from ledger.storage.db import make_engine, unit_of_work, upgrade
from ledger.storage.tables import Posting, table_of
from reconciliation.runs import reconcile

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"),
]

WHEN = datetime(2015, 12, 1, tzinfo=UTC)
TABLES = (
    "participants",
    "evidence",
    "verification_decisions",
    "postings",
    "recon_runs",
    "recon_claims",
    "recon_claim_lines",
    "audit_log",
)
FILES = {
    "people.csv": "participant_id,cohort,provider,start_date,date_of_birth\n"
    + "".join(f"P{i},c1,acme,2015-02-0{i},1995-06-01\n" for i in range(1, 5)),
    "evidence.csv": "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,"
    "reference\n"
    + "".join(
        f"E{i}a,P{i},job_entry,2015-03-02,payslip,,\n"
        f"E{i}b,P{i},job_sustained,2015-07-01,,,\n"
        f"E{i}c,P{i},nqf2,2015-08-01,,,\n"
        for i in range(1, 5)
    ),
    "decisions.csv": "evidence_id,decision,reason\n"
    + "".join(f"E{i}{k},verified,\n" for i in range(1, 5) for k in "abc"),
}


def run_the_day(engine: Engine, folder: Path) -> None:
    """A provider's and an intermediary's day: enrol, evidence, verify, reconcile the quarter."""
    from ledger.services.contracts import active_spec

    with unit_of_work(engine) as session:
        active = active_spec(session, "dwp-test")
    for service, name in ((import_participants, "people.csv"), (import_evidence, "evidence.csv")):
        with unit_of_work(engine) as session:
            service(session, "dwp-test", active, folder / name, actor="t", now=WHEN)
    with unit_of_work(engine) as session:
        import_decisions(session, "dwp-test", folder / "decisions.csv", actor="t", now=WHEN)
    reconcile(engine, "dwp-test", "2015-Q4", actor="t", now=WHEN)


def _die_after(engine: Engine, table_name: str, nth: int) -> None:
    pattern = re.compile(rf'^\s*INSERT INTO "?{table_name}"?\s', re.IGNORECASE)
    seen = [0]

    @event.listens_for(engine, "after_cursor_execute")
    def _maybe_die(*args: Any) -> None:
        if pattern.match(args[2]):
            seen[0] += 1
            if seen[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)


def _killed_worker(url: str, folder: str, table_name: str, nth: int) -> None:
    from ledger.services.contracts import remember
    from tests.conftest import small_spec

    remember(small_spec())
    engine = make_engine(url)
    _die_after(engine, table_name, nth)
    run_the_day(engine, Path(folder))


def ledger_state(engine: Engine) -> dict[str, Any]:
    """Row counts per table and money posted per payer and metric (ids and times left out)."""
    with engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).select_from(table(name)))
            for name in TABLES
        }
        p = table_of(Posting)
        money = connection.execute(
            select(p.c.payer, p.c.metric, func.sum(p.c.amount))
            .group_by(p.c.payer, p.c.metric)
            .order_by(p.c.payer, p.c.metric)
        ).all()
        chain = verify_chain(connection)
    return {"counts": counts, "money": [tuple(m) for m in money], "chain": chain.intact}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("day")
    for name, text in FILES.items():
        (path / name).write_text(text)
    return path


@pytest.fixture(scope="module")
def reference(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ledger after the day with no kill (SQLite: both backends must end the same)."""
    from ledger.services.contracts import register_spec, remember
    from tests.conftest import small_spec

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        register_spec(session, small_spec(), {"small_spec": True}, actor="test", now=WHEN)
    remember(small_spec())
    run_the_day(engine, folder)
    state = ledger_state(engine)
    engine.dispose()
    assert state["counts"]["postings"] > 0 and state["chain"]
    return state


# (table, nth insert into it): killed inside the transaction that writes it
KILL_POINTS = [
    ("participants", 1),
    ("evidence", 1),
    ("postings", 1),
    ("recon_claims", 1),
    ("audit_log", 4),  # the reconcile's audit record: its last statement before COMMIT
]


@pytest.mark.parametrize(("table_name", "nth"), KILL_POINTS, ids=[t for t, _ in KILL_POINTS])
def test_a_kill_leaves_no_partial_rows_and_a_rerun_matches_an_unkilled_run(
    db_url: str,
    engine: Engine,
    active: Any,
    folder: Path,
    reference: dict[str, Any],
    table_name: str,
    nth: int,
) -> None:
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_killed_worker, args=(db_url, str(folder), table_name, nth))
    worker.start()
    worker.join(timeout=180)
    assert worker.exitcode == -signal.SIGKILL

    after_kill = ledger_state(engine)
    full = reference["counts"]
    counts = after_kill["counts"]
    # all or nothing per import; the killed transaction left none of its rows
    already = {"audit_log": 1}  # the spec's load, before the worker started
    assert counts[table_name] == already.get(table_name, 0) + nth - 1
    for name in ("participants", "evidence", "verification_decisions"):
        assert counts[name] in (0, full[name]), name
    for name in ("postings", "recon_runs", "recon_claims", "recon_claim_lines"):
        assert counts[name] == 0, name  # every kill point is at or before the run's commit
    assert after_kill["chain"]

    run_the_day(engine, folder)  # the operator starts the same work again

    again = ledger_state(engine)
    # the audit log also records the repeated imports (found unchanged): compare the rest
    assert {**again["counts"], "audit_log": 0} == {**full, "audit_log": 0}
    assert again["money"] == reference["money"]
    assert again["chain"]
