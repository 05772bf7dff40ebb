"""`outcomes reconcile`, `outcomes remittances import`, `outcomes periods`, `outcomes scheduler`.

Commands translate arguments into reconciliation's service calls and results into text. Errors
a user can fix are printed one per line (`place: message`) with exit code 1.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from sqlmodel import Session

from api.cli import common
from api.cli.common import actor_option, import_command
from contract_specs.model import from_minor
from ledger.intake.cell_safety import terminal_text
from ledger.services.contracts import ActiveSpec, active_spec
from ledger.storage.db import unit_of_work
from ledger.storage.uploads import ImportSummary, Source
from reconciliation.periods import periods_so_far
from reconciliation.remittances import import_remittances
from reconciliation.rewind import Rewind, RewindPreview
from reconciliation.run_findings import Findings
from reconciliation.runs import RunReport, preview_rewind, reconcile
from reconciliation.scheduler import database_scheduler
from reconciliation.status import period_bridge, period_row
from reconciliation.verdict import PeriodBridge


def _money(minor: int | None, exponent: int) -> str:
    return "-" if minor is None else str(from_minor(minor, exponent))


def bridge_lines(bridge: PeriodBridge, exponent: int) -> list[str]:
    """The bridge as text: one line per payer, each difference named by its class."""
    lines = [f"{bridge.period}: {bridge.verdict.value}"]
    for payer in bridge.payers:
        parts = [
            f"owed {_money(payer.owed, exponent)}",
            f"posted {_money(payer.posted, exponent)}",
            f"claimed {_money(payer.claimed, exponent)}",
            f"received {_money(payer.received, exponent)}",
        ]
        parts += [f"{kind} {_money(v, exponent)}" for kind, v in sorted(payer.explained.items())]
        parts.append(f"unexplained {_money(payer.unexplained, exponent)}")
        lines.append(f"  {payer.payer}: " + ", ".join(parts) + f" -> {payer.verdict.value}")
    return lines


TOP_FINDINGS = 3  # lines shown per kind; the API shows the most urgent 1,000, the report all
_KIND_NAMES = {
    "awaiting_verification": "awaiting verification",
    "likely_unclaimed": "likely unclaimed",
    "caps_near_exhaustion": "cap(s) near exhaustion",
    "unreconciled_periods": "period(s) not reconciled",
}


def _finding_line(kind: str, row: dict[str, Any], exponent: int) -> str:
    if kind == "awaiting_verification":
        late = ", past SLA" if row["past_sla"] else ""
        return (
            f"{row['evidence_id']} ({row['participant_id']}, {row['metric']}) submitted "
            f"{row['submitted_on']}: {row['age_days']} days ({row['bucket']}{late})"
        )
    if kind == "likely_unclaimed":
        return (
            f"{row['participant_id']} {row['metric']}: {row['prerequisite']} on "
            f"{row['prerequisite_achieved_on']}, due {row['expected_by']}, "
            f"{row['days_overdue']} days overdue"
        )
    if kind == "caps_near_exhaustion":
        used, limit = int(row["used"]), int(row["limit"])
        counted = row["cap"] == "metric_count_cap"  # occurrences, not money
        amounts = (used, limit) if counted else (_money(used, exponent), _money(limit, exponent))
        return (
            f"{row['cap']} {row['subject']}: {amounts[0]} of {amounts[1]} ({row['used_percent']}%)"
        )
    return f"{row['period']} was due {row['due_at']:%Y-%m-%d %H:%M}: {row['days_late']} days late"


def finding_lines(findings: Findings, exponent: int) -> list[str]:
    """The run's findings as text: how many of each kind, then the first few of each."""
    counts = findings.counts()
    if not any(counts.values()):
        return ["  findings: none"]
    lines = ["  findings: " + ", ".join(f"{n} {_KIND_NAMES[k]}" for k, n in counts.items())]
    for kind, frame in findings.frames().items():
        shown = frame.head(TOP_FINDINGS).to_dict("records")
        for row in shown:
            lines.append(f"    {_KIND_NAMES[kind]}: {_finding_line(kind, row, exponent)}")
        if counts[kind] > len(shown):
            lines.append(f"    ... and {counts[kind] - len(shown)} more {_KIND_NAMES[kind]}")
    return lines


def _report_lines(report: RunReport, exponent: int) -> list[str]:
    lines = [
        f"run {report.run_id}: {report.contract_id} {report.period} as of "
        f"{report.cut_off.isoformat()} under spec version {report.spec_version}",
        f"  {report.postings} posting(s)"
        + "".join(f", {p} {_money(a, exponent)}" for p, a in sorted(report.by_payer.items())),
    ]
    lines += [f"  claim {reference}" for reference in report.claims]
    lines += [
        f"  corrects {period}: {_money(amount, exponent)}"
        for period, amount in sorted(report.corrections.items())
    ]
    if report.income_recorded:
        lines.append(f"  {report.income_recorded} matched remittance(s) recorded as outcome income")
    if report.rewind is not None:
        lines.append(
            f"  rewound from the cut-off {report.rewind['latest_cut_off']} of run "
            f"{report.rewind['latest_run']}: {report.rewind['reason']}"
        )
    if report.closed:
        lines.append(f"  {report.period} is now closed")
    if report.findings is not None:
        lines += finding_lines(report.findings, exponent)
    return lines + bridge_lines(report.bridge, exponent)


def preview_lines(shown: RewindPreview, exponent: int) -> list[str]:
    """What a rewind would do, for the operator to confirm: per payer, the clawbacks named."""
    latest = shown.latest
    lines = [
        f"rewind of {shown.contract_id} {shown.period} to {shown.cut_off:%Y-%m-%d %H:%M:%S} UTC, "
        f"earlier than run {latest.run_id} ({latest.period}, cut-off "
        f"{latest.cut_off:%Y-%m-%d %H:%M:%S} UTC): everything submitted or decided since counts "
        "as never having arrived",
        f"  reason: {shown.reason}",
        f"  it would make {shown.postings} posting(s):",
    ]
    for p in shown.payers:
        line = (
            f"    {p.payer}: {p.postings} posting(s), {_money(p.amount, exponent)}, of which "
            f"{p.clawbacks} clawback(s) {_money(p.clawed_back, exponent)}"
        )
        if p.claim is not None:
            kind = "credit claim" if p.claimed < 0 else "claim"
            line += f"; {kind} {p.claim} {_money(p.claimed, exponent)}"
        lines.append(line)
    if shown.clawbacks:
        lines.append("  clawbacks, largest first:")
    for c in shown.clawbacks:
        lines.append(
            f"    {c.participant_id} {c.metric} occurrence {c.occurrence} {c.payer} "
            f"{_money(c.amount, exponent)}: {c.reason}"
        )
    if shown.clawbacks_count > len(shown.clawbacks):
        lines.append(f"    ... and {shown.clawbacks_count - len(shown.clawbacks)} more")
    return lines


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)


def _import_remittances(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
) -> ImportSummary:
    return import_remittances(session, contract_id, active.spec, path, actor=actor, now=now)


def register(main: click.Group) -> None:
    """Add `outcomes reconcile`, `remittances`, `periods` and `scheduler` to `main`."""

    @main.command("reconcile")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.option("--period", required=True, help="The period to reconcile, e.g. 2025-Q3.")
    @click.option("--as-of", type=click.DateTime(), help="Cut-off (UTC); default: now.")
    @click.option("--close", is_flag=True, help="Close the period after this run.")
    @click.option(
        "--rewind-to",
        type=click.DateTime(),
        help="Cut-off (UTC) earlier than an earlier run's: shows what it would post first.",
    )
    @click.option("--reason", default="", help="Why the run goes back in time (with --rewind-to).")
    @click.option("--yes", is_flag=True, help="Post a rewind's preview without asking.")
    @actor_option
    def reconcile_cmd(
        contract_id: str,
        period: str,
        as_of: datetime | None,
        close: bool,
        rewind_to: datetime | None,
        reason: str,
        yes: bool,
        actor: str,
    ) -> None:
        """Post what is owed and not yet posted into PERIOD, claim it, match money received.

        A cut-off earlier than an earlier run's is refused unless given as --rewind-to with a
        --reason: the run then shows what it would post and posts it once confirmed."""
        if reason and rewind_to is None:
            click.echo("--reason: goes with --rewind-to (a run that goes back in time)", err=True)
            sys.exit(1)
        with common.database() as engine:
            with unit_of_work(engine) as session:
                exponent = active_spec(session, contract_id).spec.contract.exponent
            rewind = None
            if rewind_to is not None:
                asked = Rewind(rewind_to.replace(tzinfo=rewind_to.tzinfo or UTC), reason)
                shown = preview_rewind(
                    engine, contract_id, period, asked, close, actor=actor, now=common.now()
                )
                for line in preview_lines(shown, exponent):
                    click.echo(terminal_text(line))
                question = f"Post these {shown.postings} posting(s) into {shown.period}?"
                if not yes and not click.confirm(question, default=False, err=True):
                    click.echo("nothing was posted", err=True)
                    sys.exit(1)
                rewind = replace(asked, token=shown.token)
            report = reconcile(
                engine,
                contract_id,
                period,
                _aware(as_of),
                close,
                actor=actor,
                now=common.now(),
                rewind=rewind,
            )
        for line in _report_lines(report, exponent):
            click.echo(terminal_text(line))

    @main.group()
    def remittances() -> None:
        """Money received from outcome payers."""

    import_command(
        remittances,
        "import",
        "Record the remittances in FILE (payer, amount, date, reference)",
        _import_remittances,
    )

    @main.command("periods")
    @click.argument("contract_id", metavar="CONTRACT")
    def periods_cmd(contract_id: str) -> None:
        """Each period of CONTRACT so far (from service start to its last outcome date plus
        payment terms, up to today's): open or closed, and its verdict today."""
        today = common.now().date()
        with common.session() as session:
            spec = active_spec(session, contract_id).spec
            for period in periods_so_far(spec.contract, today):
                row = period_row(session, contract_id, period.id)
                status = "not reconciled" if row is None else row.status
                verdict = period_bridge(session, spec, period.id, today).verdict
                click.echo(f"{period.id}  {status:<14}  {verdict.value}")

    @main.command("scheduler")
    @click.option(
        "--delay-hours",
        default=24.0,
        show_default=True,
        type=float,
        help="Wait this long after a period ends before reconciling it.",
    )
    @click.option(
        "--poll-minutes",
        default=15.0,
        show_default=True,
        type=float,
        help="Also look for due periods this often.",
    )
    def scheduler_cmd(delay_hours: float, poll_minutes: float) -> None:
        """Reconcile every active contract's periods as they end (runs missed while down first)."""
        with common.database() as engine:
            jobs = database_scheduler(
                engine, timedelta(hours=delay_hours), timedelta(minutes=poll_minutes)
            )
            jobs.start()
            click.echo("scheduler running; Ctrl-C stops it", err=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
            finally:
                jobs.shutdown()
