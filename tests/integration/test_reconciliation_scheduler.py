"""The scheduler against a real database: what is due comes from completed runs, not memory."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from ledger.services.contracts import ActiveSpec
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.scheduler import database_scheduler
from reconciliation.status import reconciled_periods
from tests.integration.test_reconciliation_runs import World


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_missed_quarters_catch_up_once_and_the_next_fires_after_its_end(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    world = World(engine, active, tmp_path)
    world.enrol("P1,c1,acme,2015-02-01,1995-06-01\n")
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")

    # the service was down over the first two quarter ends
    clock = Clock(datetime(2015, 7, 3))
    jobs = database_scheduler(engine, delay=timedelta(days=2), now=clock)
    assert [(o.period, o.result) for o in jobs.tick()] == [("2015-Q1", "ran"), ("2015-Q2", "ran")]
    with unit_of_work(engine) as session:
        assert reconciled_periods(session, "dwp-test") == {"2015-Q1", "2015-Q2"}
        paid = session.scalar(select(func.sum(Posting.amount)))
    assert paid == 350_000

    # a second scheduler process started at the same time finds nothing left to do
    other = database_scheduler(engine, delay=timedelta(days=2), now=clock)
    assert other.tick() == []
    assert jobs.next_due() == datetime(2015, 10, 3)

    clock.at = datetime(2015, 10, 2, 23, 59)
    assert jobs.tick() == []
    clock.at = datetime(2015, 10, 3)
    assert [(o.period, o.result) for o in jobs.tick()] == [("2015-Q3", "ran")]
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Posting)) == 2
