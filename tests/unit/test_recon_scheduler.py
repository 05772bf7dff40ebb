"""The scheduler with a controllable clock: when it fires, catch-up, the database as referee."""

import threading
from datetime import date, datetime, timedelta

from contract_specs.model import Contract, Frequency
from reconciliation.errors import Problem, RunInProgressError
from reconciliation.periods import Period
from reconciliation.scheduler import ReconciliationScheduler

QUARTERLY = Contract(
    id="fcf",
    name="Fair Chance",
    currency="GBP",
    payment_frequency=Frequency.QUARTERLY,
    service_start=date(2015, 1, 1),
    last_outcome_date=date(2015, 12, 31),
    payment_terms_days=0,
)
MONTHLY = Contract(
    id="dwp",
    name="Innovation Fund",
    currency="GBP",
    payment_frequency=Frequency.MONTHLY,
    service_start=date(2015, 5, 1),
)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class FakeDatabase:
    """Completed runs per contract; a run claims (contract, period) once, like a unique row."""

    def __init__(self) -> None:
        self.done: dict[str, set[str]] = {}
        self.runs: list[tuple[str, str, datetime]] = []
        self.lock = threading.Lock()

    def reconciled(self, contract_id: str) -> set[str]:
        return set(self.done.get(contract_id, set()))

    def run(self, contract_id: str, period: Period, as_of: datetime) -> None:
        with self.lock:
            if period.id in self.done.setdefault(contract_id, set()):
                raise RunInProgressError([Problem(period.id, "already reconciled")])
            self.done[contract_id].add(period.id)
            self.runs.append((contract_id, period.id, as_of))


def scheduler(db: FakeDatabase, clock: Clock, *contracts: Contract) -> ReconciliationScheduler:
    return ReconciliationScheduler(
        lambda: contracts, db.reconciled, db.run, delay=timedelta(days=2), now=clock
    )


def test_a_period_fires_only_once_its_end_plus_delay_has_passed() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2015, 4, 2, 23, 59))
    jobs = scheduler(db, clock, QUARTERLY)
    assert jobs.tick() == []
    assert jobs.next_due() == datetime(2015, 4, 3)
    clock.at = datetime(2015, 4, 3)
    assert [(o.period, o.result) for o in jobs.tick()] == [("2015-Q1", "ran")]
    assert db.runs == [("fcf", "2015-Q1", datetime(2015, 4, 3))]
    assert jobs.tick() == []  # nothing new is due: re-ticking runs nothing
    assert jobs.next_due() == datetime(2015, 7, 3)


def test_runs_missed_while_down_catch_up_oldest_first_for_every_contract() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2015, 8, 10))
    db.done["fcf"] = {"2015-Q1"}
    jobs = scheduler(db, clock, QUARTERLY, MONTHLY)
    ran = [(o.contract_id, o.period) for o in jobs.tick()]
    assert ran == [("fcf", "2015-Q2"), ("dwp", "2015-05"), ("dwp", "2015-06"), ("dwp", "2015-07")]


def test_after_the_last_period_nothing_is_due_ever_again() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2020, 1, 1))
    jobs = scheduler(db, clock, QUARTERLY)
    assert len(jobs.tick()) == 4
    assert jobs.next_due() is None


def test_a_run_another_process_holds_is_skipped_not_repeated() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2015, 4, 5))
    jobs = scheduler(db, clock, QUARTERLY)
    # another process reconciles Q1 between this scheduler's look and its run
    jobs.reconciled = lambda contract_id: set()
    db.done["fcf"] = {"2015-Q1"}
    (outcome,) = jobs.tick()
    assert (outcome.period, outcome.result) == ("2015-Q1", "skipped")
    assert db.runs == []


def test_one_failing_contract_does_not_stop_the_others() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2015, 6, 5))

    def run(contract_id: str, period: Period, as_of: datetime) -> None:
        if contract_id == "fcf":
            raise RuntimeError("boom")
        db.run(contract_id, period, as_of)

    jobs = ReconciliationScheduler(
        lambda: (QUARTERLY, MONTHLY), db.reconciled, run, delay=timedelta(days=2), now=clock
    )
    results = {(o.contract_id, o.period): o.result for o in jobs.tick()}
    assert results == {("fcf", "2015-Q1"): "failed", ("dwp", "2015-05"): "ran"}


def test_the_background_scheduler_catches_up_as_soon_as_it_starts() -> None:
    db, clock = FakeDatabase(), Clock(datetime(2015, 10, 5))
    finished = threading.Event()

    def run(contract_id: str, period: Period, as_of: datetime) -> None:
        db.run(contract_id, period, as_of)
        if period.id == "2015-Q3":
            finished.set()

    jobs = ReconciliationScheduler(
        lambda: (QUARTERLY,), db.reconciled, run, delay=timedelta(days=2), now=clock
    )
    jobs.start()
    try:
        assert finished.wait(timeout=10)
    finally:
        jobs.shutdown()
    assert [period for _, period, _ in db.runs] == ["2015-Q1", "2015-Q2", "2015-Q3"]
