"""Runs each active contract's reconciliation after each period ends (plus a delay).

APScheduler 3 (`BackgroundScheduler`) only wakes the process up; what is due is always
computed from the database: every period that has ended plus `delay` and has no completed run.
So runs missed while the service was down happen at the first wake-up after start (catch-up),
and two scheduler processes, or a scheduler and a person at the command line, can never post
twice: the run itself claims its contract and period in the database, and the loser is told
the period is already being or has been reconciled (`RunInProgressError`), which is skipped.

Time is injected (`now`) so tests drive the rules with a controllable clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from contract_specs.model import Contract
from reconciliation.errors import ReconciliationError, RunInProgressError
from reconciliation.periods import (
    Period,
    contract_periods,
    due_at,
    period_containing,
    periods_due,
)

log = logging.getLogger(__name__)

POLL_JOB, NEXT_JOB = "reconcile-poll", "reconcile-next"


def utc_now() -> datetime:
    """The current time as naive UTC, as the ledger stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Outcome:
    """What one due run did: `ran`, `skipped` (another run holds it) or `failed`."""

    contract_id: str
    period: str
    result: str
    detail: str = ""


class ReconciliationScheduler:
    """Finds due (contract, period) runs from the database and runs them, oldest first.

    `contracts()` gives the active contracts, `reconciled(contract_id)` the ids of its periods
    with a completed run, `run(contract_id, period, as_of)` reconciles one period; all three
    open their own unit of work.
    """

    def __init__(
        self,
        contracts: Callable[[], Iterable[Contract]],
        reconciled: Callable[[str], Collection[str]],
        run: Callable[[str, Period, datetime], object],
        delay: timedelta = timedelta(days=1),
        poll: timedelta = timedelta(minutes=15),
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.contracts, self.reconciled, self.run = contracts, reconciled, run
        self.delay, self.poll, self.now = delay, poll, now
        self._scheduler: BackgroundScheduler | None = None
        self._ticking = threading.Lock()
        self._wake_lock = threading.Lock()

    def due(self) -> list[tuple[Contract, Period]]:
        """Every (contract, period) due by now with no completed run, oldest period first."""
        now = self.now()
        found = [
            (contract, period)
            for contract in self.contracts()
            for period in periods_due(contract, now, self.delay, self.reconciled(contract.id))
        ]
        return sorted(found, key=lambda item: (item[1].start, item[0].id))

    def next_due(self) -> datetime | None:
        """When the next period of any active contract becomes due (None: nothing left)."""
        now = self.now()
        later = []
        for contract in self.contracts():
            period = period_containing((now - self.delay).date(), contract.payment_frequency)
            while due_at(period, self.delay) <= now:
                period = period.next()
            last = contract_periods(
                contract, until=None if contract.last_outcome_date else now.date()
            )
            if contract.last_outcome_date is None or period <= last[-1]:
                later.append(due_at(period, self.delay))
        return min(later, default=None)

    def tick(self) -> list[Outcome]:
        """Run everything due now; one contract's failure never stops the others."""
        # the poll and the due-time wake-up may fire together: one tick at a time per process
        if not self._ticking.acquire(blocking=False):
            return []
        try:
            outcomes = self._run_due()
        finally:
            self._ticking.release()
        self._wake_at_next_due()
        return outcomes

    def _run_due(self) -> list[Outcome]:
        outcomes = []
        for contract, period in self.due():
            try:
                self.run(contract.id, period, self.now())
            except RunInProgressError as held:
                outcomes.append(Outcome(contract.id, period.id, "skipped", str(held)))
            except ReconciliationError as refused:
                outcomes.append(Outcome(contract.id, period.id, "failed", str(refused)))
            except Exception as error:  # keep the scheduler alive; the log says what broke
                log.exception("reconciliation of %s %s failed", contract.id, period.id)
                outcomes.append(Outcome(contract.id, period.id, "failed", type(error).__name__))
            else:
                outcomes.append(Outcome(contract.id, period.id, "ran"))
        for outcome in outcomes:
            log.info("reconcile %s %s: %s", outcome.contract_id, outcome.period, outcome.result)
        return outcomes

    def _wake_at_next_due(self) -> None:
        # APScheduler 3 deadlocks when a job adds a job while shutdown(wait=True) waits for that
        # job: adding and stopping take the same lock of ours, and nothing is added once stopping
        with self._wake_lock:
            if self._scheduler is None:
                return
            when = self.next_due()
            if when is None:
                return
            self._scheduler.add_job(
                self.tick,
                DateTrigger(run_date=when, timezone=UTC),
                id=NEXT_JOB,
                replace_existing=True,
                misfire_grace_time=None,
            )

    def start(self) -> BackgroundScheduler:
        """Start in the background: catch up at once, then wake at each due time and every
        `poll` (the poll covers contracts loaded while running)."""
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.poll.total_seconds(), timezone=UTC),
            id=POLL_JOB,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        self._scheduler = scheduler
        scheduler.start()
        return scheduler

    def shutdown(self) -> None:
        """Stop the background scheduler, waiting for a running reconciliation to finish."""
        with self._wake_lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)


def database_scheduler(
    engine: Engine,
    delay: timedelta = timedelta(days=1),
    poll: timedelta = timedelta(minutes=15),
    now: Callable[[], datetime] = utc_now,
    actor: str = "scheduler",
) -> ReconciliationScheduler:
    """A scheduler whose contracts, completed periods and runs come from the database."""
    from ledger.storage.db import unit_of_work
    from reconciliation.runs import reconcile
    from reconciliation.status import active_contracts, reconciled_periods

    def contracts() -> list[Contract]:
        with unit_of_work(engine) as session:
            return [spec.contract for spec in active_contracts(session)]

    def reconciled(contract_id: str) -> set[str]:
        with unit_of_work(engine) as session:
            return reconciled_periods(session, contract_id)

    def run(contract_id: str, period: Period, as_of: datetime) -> None:
        moment = as_of.replace(tzinfo=UTC)
        reconcile(engine, contract_id, period.id, as_of=moment, actor=actor, now=moment)

    return ReconciliationScheduler(contracts, reconciled, run, delay=delay, poll=poll, now=now)
