"""Who needs attention soon: windows about to close, sustainment dates about to fall due. Pure.

- A metric's window closes on start + window (or the contract's last outcome date, if sooner);
  a participant without live evidence of the metric whose window closes within 90 days is
  listed.
- A metric that requires another after a gap falls due on the prerequisite's (latest live)
  achieved_on + gap; a participant with no evidence of it since then, whose date falls within
  90 days, is listed. Dates already passed are the findings' "likely unclaimed" instead.

Each row says how many days are left and in which band (0-30, 31-60, 61-90).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from contract_specs.model import ContractSpec
from reconciliation.findings import bucket_of
from reporting.progress import live
from reporting.report import Column, Kind, Table, as_date

HORIZON_DAYS = 90
WINDOW_CLOSES = "window closes"
FALLS_DUE = "falls due"

DEADLINE_COLUMNS = (
    Column("participant_id"),
    Column("cohort"),
    Column("metric"),
    Column("what"),
    Column("on", Kind.DATE),
    Column("days_left", Kind.INTEGER),
    Column("within"),
    Column("because"),
)


def _dates(evidence: pd.DataFrame) -> dict[tuple[str, str], list[date]]:
    found: dict[tuple[str, str], list[date]] = {}
    kept = live(evidence)
    for participant_id, metric, day in zip(
        kept["participant_id"], kept["metric"], kept["achieved_on"], strict=True
    ):
        achieved = as_date(day)
        if achieved is not None:
            found.setdefault((str(participant_id), str(metric)), []).append(achieved)
    return found


def deadlines(
    spec: ContractSpec, people: pd.DataFrame, evidence: pd.DataFrame, as_on: date
) -> Table:
    """Windows closing and sustainment dates falling due within 90 days of `as_on`."""
    achieved = _dates(evidence)
    last = spec.contract.last_outcome_date
    rows = []
    for person in people.itertuples(index=False):
        pid, start = str(person.participant_id), as_date(person.start_date)
        if start is None:
            continue
        for metric in spec.metrics:
            if metric.window is not None and (pid, metric.id) not in achieved:
                closes = metric.window.after(start)
                closes = min(closes, last) if last else closes
                why = f"no evidence of {metric.id}; window of {_span(metric.window)} from start"
                rows.append((pid, person.cohort, metric.id, WINDOW_CLOSES, closes, why))
            for prerequisite in metric.prerequisites:
                if prerequisite.min_gap.is_zero:
                    continue
                earlier = achieved.get((pid, prerequisite.metric))
                if not earlier:
                    continue
                since = max(earlier)
                if any(day >= since for day in achieved.get((pid, metric.id), [])):
                    continue
                due = prerequisite.min_gap.after(since)
                why = (
                    f"{prerequisite.metric} on {since.isoformat()} + {_span(prerequisite.min_gap)}"
                )
                rows.append((pid, person.cohort, metric.id, FALLS_DUE, due, why))
    out = []
    for pid, cohort, metric_id, what, day, why in rows:
        left = (day - as_on).days
        if 0 <= left <= HORIZON_DAYS:
            out.append((pid, cohort, metric_id, what, day, left, bucket_of(left), why))
    frame = pd.DataFrame(out, columns=[c.name for c in DEADLINE_COLUMNS], dtype="object")
    frame = frame.sort_values(["days_left", "participant_id", "metric"], kind="stable")
    return Table(
        "deadlines",
        "Deadlines",
        DEADLINE_COLUMNS,
        frame.reset_index(drop=True),
        f"windows closing and sustainment dates falling due within {HORIZON_DAYS} days",
    )


def _span(duration: object) -> str:
    parts = [
        f"{value} {unit}"
        for unit in ("months", "weeks", "days")
        if (value := getattr(duration, unit))
    ]
    return " ".join(parts) or "0 days"
