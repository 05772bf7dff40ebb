"""Periods exist from service start to the last outcome date plus payment terms, and nowhere
else (issue 13, finding 4): the scheduler never runs outside them, years after the end."""

from __future__ import annotations

from datetime import date, datetime

from contract_specs.model import Contract, Frequency
from reconciliation.periods import Period, periods_so_far
from reconciliation.scheduler import ReconciliationScheduler

ENDED = Contract(
    id="ended",
    name="Ended years ago",
    currency="GBP",
    payment_frequency=Frequency.QUARTERLY,
    service_start=date(2015, 2, 1),
    last_outcome_date=date(2016, 12, 31),
    payment_terms_days=45,  # the last payments fall in 2017-Q1
)
RUNNING = Contract(
    id="running",
    name="No end declared",
    currency="GBP",
    payment_frequency=Frequency.MONTHLY,
    service_start=date(2025, 11, 15),
)


def test_the_scheduler_runs_an_ended_contract_only_within_its_periods() -> None:
    runs: list[str] = []

    def run(contract_id: str, period: Period, as_of: datetime) -> None:
        runs.append(period.id)

    jobs = ReconciliationScheduler(lambda: [ENDED], lambda _: set(), run, now=lambda: NOW)
    jobs.tick()
    assert runs[0] == "2015-Q1" and runs[-1] == "2017-Q1" and len(runs) == 9
    assert jobs.next_due() is None  # nothing after the contract's last period, ever


NOW = datetime(2026, 6, 1, 12)


def test_periods_so_far_start_at_service_start_and_stop_at_the_end_or_today() -> None:
    ended = periods_so_far(ENDED, NOW.date())
    assert [ended[0].id, ended[-1].id, len(ended)] == ["2015-Q1", "2017-Q1", 9]
    running = periods_so_far(RUNNING, NOW.date())
    assert [running[0].id, running[-1].id, len(running)] == ["2025-11", "2026-06", 8]
    assert periods_so_far(RUNNING, date(2025, 1, 1)) == ()
