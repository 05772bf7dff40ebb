"""Several processes writing at once, as N `outcomes serve` workers would: the database decides.

Each writer is a real process (multiprocessing spawn) with its own engine, released together by
a barrier. The contract is the small rate card of tests/conftest.py (cohort c1 holds 5 people;
the per-person cap is 8,200: job entry 3,500 + sustained job 2,000 + NQF2 3,300 would be 8,800).
Two reconciliations of one period at once are tested in test_reconciliation_runs.py.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ledger.domain.errors import LedgerError, RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.audit import verify_chain
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Evidence, Participant, Posting, table_of
from reconciliation.runs import reconcile

pytestmark = pytest.mark.slow

PEOPLE_HEADER = "participant_id,cohort,provider,start_date,date_of_birth\n"
EVIDENCE_HEADER = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
WHEN = datetime(2015, 12, 1, tzinfo=UTC)


def _people(*ids: str) -> str:
    return PEOPLE_HEADER + "".join(f"{i},c1,acme,2015-02-01,1995-06-01\n" for i in ids)


def _work(task: str, path: str, actor: str, url: str, start: Any) -> str:
    """One import, as a worker process runs it: the summary, or the refusal with its rows.

    Everything slow (imports, the first connection, the spec) happens before the barrier, so
    the imports themselves start together and really race.
    """
    from ledger.services.contracts import active_spec, remember
    from ledger.storage.db import make_engine
    from tests.conftest import small_spec

    remember(small_spec())
    service = {"participants": import_participants, "evidence": import_evidence}[task]
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            active = active_spec(session, "dwp-test")
        start.wait(timeout=120)
        with unit_of_work(engine) as session:
            done = service(session, "dwp-test", active, Path(path), actor=actor, now=WHEN)
        return f"stored {done}"
    except LedgerError as refused:
        rows = refused.lines() if isinstance(refused, RejectedUpload) else [str(refused)]
        return "refused " + " | ".join(rows)
    finally:
        engine.dispose()


def _worker(url: str, task: str, path: str, actor: str, start: Any, results: Any) -> None:
    try:
        results.put(_work(task, path, actor, url, start))
    except Exception as crash:  # reported, so the test shows what went wrong in the child
        results.put(f"crashed {type(crash).__name__}: {crash}")


def at_once(url: str, jobs: list[tuple[str, Path]]) -> list[str]:
    """Run the (task, file) jobs in separate processes released together; their outcomes."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(len(jobs)), context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, task, str(path), f"w{n}", start, results))
        for n, (task, path) in enumerate(jobs)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=180) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table_of(model))) or 0)


def _chain_intact(engine: Engine) -> bool:
    with engine.connect() as connection:
        return verify_chain(connection).intact


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Any]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    yield write


def test_participant_files_racing_for_the_same_places_never_duplicate_or_overfill(
    db_url: str, engine: Engine, active: ActiveSpec, files: Any
) -> None:
    first = files("a.csv", _people("A1", "A2", "A3"))
    second = files("b.csv", _people("B1", "B2", "B3"))
    # the same file sent twice, and another file for the same cohort (capacity 5), all at once
    outcomes = at_once(
        db_url, [("participants", first), ("participants", first), ("participants", second)]
    )

    assert outcomes.count("stored 3 new, 0 unchanged") == 1
    others = [o for o in outcomes if o != "stored 3 new, 0 unchanged"]
    # whoever came later found the first file's rows unchanged, or no places left: refused whole
    assert all(o == "stored 0 new, 3 unchanged" or "is full" in o for o in others), outcomes
    assert not any(o.startswith("crashed") for o in outcomes)
    assert _count(engine, Participant) == 3
    assert _chain_intact(engine)


def test_many_evidence_uploads_at_once_then_a_reconcile_respect_the_caps(
    db_url: str, engine: Engine, active: ActiveSpec, files: Any
) -> None:
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, files("p.csv", _people("P1", "P2")), actor="t", now=WHEN
        )
    uploads = []
    for n in range(4):
        # every file repeats the same job entries (identical rows: stored once) and adds
        # its own sustained-job and NQF2 evidence for the same people
        rows = "".join(
            f"E-{p}-entry,{p},job_entry,2015-03-02,payslip,,\n"
            f"E-{p}-sus-{n},{p},job_sustained,2015-07-{10 + n},,,\n"
            f"E-{p}-nqf-{n},{p},nqf2,2015-08-{10 + n},,,\n"
            for p in ("P1", "P2")
        )
        uploads.append(("evidence", files(f"e{n}.csv", EVIDENCE_HEADER + rows)))

    outcomes = at_once(db_url, uploads)

    assert outcomes == sorted(["stored 6 new, 0 unchanged"] + ["stored 4 new, 2 unchanged"] * 3)
    assert _count(engine, Evidence) == 2 + 4 * 4
    with engine.connect() as connection:
        ids = connection.scalars(select(table_of(Evidence).c.evidence_id)).all()
    decisions = "evidence_id,decision,reason\n" + "".join(f"{i},verified,\n" for i in ids)
    with unit_of_work(engine) as session:
        import_decisions(session, "dwp-test", files("d.csv", decisions), actor="t", now=WHEN)

    first = reconcile(engine, "dwp-test", "2015-Q4", actor="t", now=WHEN)
    again = reconcile(engine, "dwp-test", "2015-Q4", actor="t", now=WHEN)

    assert again.postings == 0
    postings = table_of(Posting)
    with engine.connect() as connection:
        per_person = {
            participant: amount
            for participant, amount in connection.execute(
                select(postings.c.participant_id, func.sum(postings.c.amount)).group_by(
                    postings.c.participant_id
                )
            )
        }
        keys = connection.execute(
            select(
                postings.c.participant_id,
                postings.c.metric,
                postings.c.occurrence,
                postings.c.payer,
                func.count(),
            ).group_by(
                postings.c.participant_id,
                postings.c.metric,
                postings.c.occurrence,
                postings.c.payer,
            )
        ).all()
    # 3,500 + 2,000 + 3,300 = 8,800 each, cut to the 8,200 cap; each key posted once
    assert per_person == {"acme/P1": 820_000, "acme/P2": 820_000}
    assert first.postings == len(keys) and {k[-1] for k in keys} == {1}
    assert _chain_intact(engine)
