"""This period against the previous period and the same period last year (issue 14): "are we
on track this quarter?" Pure: starts by start date, outcomes by the date they were achieved
(first live evidence of a metric per participant), per period."""

from __future__ import annotations

import pandas as pd

from contract_specs.model import ContractSpec
from reconciliation.periods import Period
from reporting.progress import live
from reporting.report import Column, Kind, Table

N = Kind.INTEGER
PERIOD_COLUMNS = (
    Column("measure"),
    Column("name"),
    Column("this_period", N),
    Column("previous_period", N),
    Column("same_period_last_year", N),
    Column("change_on_previous", N),
)


def _in(days: pd.Series, period: Period) -> int:
    return int(((days >= pd.Timestamp(period.start)) & (days <= pd.Timestamp(period.end))).sum())


def period_progress(
    spec: ContractSpec, people: pd.DataFrame, evidence: pd.DataFrame, period: Period
) -> Table:
    """Starts and each metric's first achievements in `period`, the one before, and a year ago."""
    year_ago = Period(period.year - 1, period.number, period.frequency)
    compared = (period, period.previous(), year_ago)
    rows: list[dict[str, object]] = []

    def add(measure: str, name: str, days: pd.Series) -> None:
        now, before, last_year = (_in(days, p) for p in compared)
        rows.append(
            {
                "measure": measure,
                "name": name,
                "this_period": now,
                "previous_period": before,
                "same_period_last_year": last_year,
                "change_on_previous": now - before,
            }
        )

    add("starts", "Participants starting", people["start_date"])
    first = live(evidence).sort_values("achieved_on").drop_duplicates(["participant_id", "metric"])
    for metric in spec.metrics:
        add(metric.id, metric.name, first.loc[first["metric"] == metric.id, "achieved_on"])
    frame = pd.DataFrame(rows, columns=[c.name for c in PERIOD_COLUMNS])
    note = (
        f"{period.id} against {period.previous().id} and {year_ago.id}: starts by start date, "
        "outcomes by the date first achieved (live evidence)"
    )
    return Table(
        "this_period", "This period, the previous and a year ago", PERIOD_COLUMNS, frame, note
    )
