"""The provider's progress report, for one provider or the whole contract (issue "Reports").

Progress per cohort and metric against targets, the funnel along prerequisite chains,
deadlines near, evidence awaiting verification, likely unclaimed outcomes, flags (management
triggers and deviations from the recent normal) and what works for whom. A provider's report
reads only that provider's participants, evidence and postings: the filter is in the queries;
it names them by the provider's own ids, the whole contract's report by the ledger keys
`<provider>/<local id>`.
"""

from __future__ import annotations

import dataclasses
import gc
from datetime import datetime

import pandas as pd
from sqlmodel import Session

from ledger.services.contracts import active_spec
from ledger.services.facts import utc
from ledger.storage.bulk import paused_gc
from ledger.storage.keys import localise
from reconciliation.findings import awaiting_verification, likely_unclaimed
from reconciliation.periods import period_containing, periods_between
from reporting import memo, sources
from reporting.deadlines import deadlines
from reporting.flags import flags
from reporting.funnel import funnel
from reporting.groups import MIN_GROUP, by_group, withdrawals_line
from reporting.period_progress import period_progress
from reporting.progress import progress
from reporting.report import Chart, ChartKind, Column, Kind, Report, Table, report_for
from reporting.request import checked_request, end_of

AWAITING_COLUMNS = (
    Column("evidence_id"),
    Column("participant_id"),
    Column("metric"),
    Column("submitted_on", Kind.DATE),
    Column("age_days", Kind.INTEGER),
    Column("bucket"),
    Column("past_sla", Kind.BOOLEAN),
)
UNCLAIMED_COLUMNS = (
    Column("participant_id"),
    Column("metric"),
    Column("prerequisite"),
    Column("prerequisite_achieved_on", Kind.DATE),
    Column("expected_by", Kind.DATE),
    Column("days_overdue", Kind.INTEGER),
)


def _table(
    name: str, title: str, columns: tuple[Column, ...], frame: pd.DataFrame, note: str
) -> Table:
    return Table(name, title, columns, frame.astype("object"), note)


def _own_ids(table: Table, provider: str) -> Table:
    """`table` as one provider reads it: its own ids as its case system wrote them (the ledger
    keys them `<provider>/<local id>`; the whole contract's report shows the keys)."""
    named = [c for c in ("participant_id", "evidence_id") if c in table.frame.columns]
    if not named or table.frame.empty:
        return table
    frame = table.frame.copy()
    for column in named:
        frame[column] = localise(frame[column], provider).astype("object")
    return dataclasses.replace(table, frame=frame)


def provider_report(
    session: Session,
    contract_id: str,
    period_id: str,
    provider: str | None = None,
    as_of: datetime | None = None,
    min_group: int = MIN_GROUP,
) -> Report:
    """The progress report of `provider` (every provider when None) for `period_id`.

    The cut-off defaults to the end of the period, or the latest posting into it when that is
    later (the run that paid it), so the same ledger always gives the same report; a report
    asked for again before the ledger changes is served as built (reporting.memo).
    """
    request = ("provider", contract_id, period_id, provider, as_of, min_group)

    def build() -> Report:
        # The build makes millions of short-lived rows, dates and tuples and none of them
        # cycles: the collector's full passes over them were a sixth of a cold build.
        with paused_gc():
            report = _provider_report(session, contract_id, period_id, provider, as_of, min_group)
        # Collect what the build left now, in the request that waits for the build anyway:
        # left to itself, the collector's next full pass (a quarter of a second at a million
        # participants) fell on a poll served from memory and was the whole p99.
        gc.collect()
        return report

    return memo.remembered(session, request, build, report_bytes)


def report_bytes(report: Report) -> int:
    """The bytes a report's tables hold in memory (the text of each cell counted)."""
    return sum(int(t.frame.memory_usage(deep=True).sum()) for t in report.tables)


def _provider_report(
    session: Session,
    contract_id: str,
    period_id: str,
    provider: str | None,
    as_of: datetime | None,
    min_group: int,
) -> Report:
    active = active_spec(session, contract_id)
    spec = active.spec
    period = checked_request(spec, period_id, provider=provider, as_of=as_of)
    posted = sources.last_posted(session, contract_id, period.id)
    cut_off = (
        utc(as_of) if as_of else max(end_of(period), utc(posted) if posted else end_of(period))
    )
    as_on = cut_off.date()
    people = sources.participants(session, contract_id, cut_off, provider, spec)
    # enrolled means started: a participant recorded early with a later start date is not yet
    # one of the period's (issue 14: 600 "enrolled" at a quarter when 144 had started)
    started_by = pd.Timestamp(min(period.end, as_on))
    people = people[people["start_date"] <= started_by]
    evidence = sources.evidence(session, contract_id, cut_off, spec, provider)
    postings = sources.postings(session, contract_id, cut_off, provider)
    periods = list(
        periods_between(
            period_containing(spec.contract.service_start, spec.contract.payment_frequency), period
        )
    )
    tables: tuple[Table, ...] = (
        progress(spec, people, evidence, postings),
        period_progress(spec, people, evidence, period),
        funnel(spec, evidence),
        deadlines(spec, people, evidence, as_on),
        _table(
            "awaiting_verification",
            "Awaiting verification",
            AWAITING_COLUMNS,
            awaiting_verification(evidence, as_on, spec.contract.verification_sla_days),
            f"evidence still pending, oldest first; past SLA after "
            f"{spec.contract.verification_sla_days} days",
        ),
        _table(
            "likely_unclaimed",
            "Likely unclaimed",
            UNCLAIMED_COLUMNS,
            likely_unclaimed(spec, people, evidence, as_on),
            "outcomes probably achieved but never evidenced: the date they were due has passed",
        ),
        flags(spec, evidence, periods, people),
        # what works for whom counts only those who may be: never a withdrawn person
        by_group(spec, people[people["in_segments"]], evidence, min_group),
    )
    if provider:
        tables = tuple(_own_ids(table, provider) for table in tables)
    whose = spec.party(provider).name if provider else "all providers"
    title = f"Progress report: {spec.contract.name}, {whose}, {period.id}"
    cover = (
        ("Report", f"outcome progress, deadlines and flags for {whose}"),
        ("Contract", f"{spec.contract.name} ({contract_id})"),
        ("Provider", f"{whose} ({provider})" if provider else whose),
        ("Period", f"{period.id}: {period.start.isoformat()} to {period.end.isoformat()}"),
        ("Cut-off", f"{cut_off:%Y-%m-%d %H:%M:%S} UTC: evidence and postings known by then"),
        ("Deadlines from", f"{as_on.isoformat()} (30/60/90 days ahead)"),
        ("Spec version", str(active.version)),
        ("Participants", f"{len(people)} enrolled" + (" with this provider" if provider else "")),
        ("Withdrawals", withdrawals_line(int(people["withdrawn"].sum()))),
    )
    charts = (
        Chart(ChartKind.BAR, "Funnel", "funnel", "metric", ("participants",), "participants"),
        Chart(
            ChartKind.BAR,
            "Achieved against target",
            "progress",
            "metric",
            ("achieved", "target"),
            "participants",
        ),
    )
    return report_for(
        spec,
        "provider",
        title,
        period.id,
        cut_off,
        active.version,
        cover,
        tables,
        "progress",
        charts,
    )
