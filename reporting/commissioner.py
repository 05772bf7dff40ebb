"""The commissioner's payment report for one payer and period (issue "Reports").

Summary (claim, adjustments, to date, received, outstanding, commitment and caps remaining,
verdict), the lines (every posting, summing to the claim), the evidence that earned nothing,
money received and how it matched, and payments by period against the payer's limit.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.entitlement.engine import no_lines
from ledger.domain.periods import Period
from ledger.services.contracts import ActiveSpec, active_spec, spec_version, typed_spec
from ledger.services.facts import load_facts, utc
from ledger.services.spec_preview import compare_specs
from reporting import sources
from reporting.groups import withdrawals_line
from reporting.money_in import money_in
from reporting.payer_summary import money_received, payer_summary, payments_by_period
from reporting.payment_lines import not_payable_lines, payment_lines
from reporting.report import Chart, ChartKind, Report, report_for
from reporting.request import checked_request, end_of


def commissioner_report(
    session: Session,
    contract_id: str,
    period_id: str,
    payer: str,
    as_of: datetime | None = None,
) -> Report:
    """The payment report of `payer` for `period_id`, as the run that made its claim decided.

    A reconciled period is the record of its latest run (issue 18): that run's spec version,
    cut-off, postings (each with the tariff, cohort and provider the engine decided) and the
    not-payable rows it kept, whatever version is in force now. A cut-off asked for, or a
    period never reconciled, is a what-if under the version in force: the engine decides the
    not-payable rows, and the cut-off defaults to the latest posting into the period, else the
    end of the period (never the clock, so the same ledger gives the same report).
    """
    active = active_spec(session, contract_id)
    checked_request(active.spec, period_id, payer=payer, as_of=as_of)
    run = None if as_of is not None else sources.claim_run(session, contract_id, period_id)
    version = active.version if run is None else run.spec_version
    spec = active.spec if run is None else typed_spec(spec_version(session, contract_id, version))
    period = checked_request(spec, period_id, payer=payer, as_of=as_of)
    if run is not None:
        cut_off = utc(run.cut_off)
        people = sources.participants(session, contract_id, cut_off, attributes=False)
        postings = sources.run_postings(session, contract_id, run)
        not_payable = (
            sources.run_not_payable(session, run.computed_by)
            if run.not_payable is not None
            else _decided_now(session, spec, period, cut_off)
        )
    else:
        last = sources.last_posted(session, contract_id, period.id)
        cut_off = utc(as_of or last or end_of(period))
        people = sources.participants(session, contract_id, cut_off, attributes=False)
        not_payable = _decided_now(session, spec, period, cut_off)
        postings = sources.postings(session, contract_id, cut_off)
    withdrawn = len(sources.withdrawn_by(session, contract_id, cut_off))
    mine = postings[(postings["payer"] == payer) & (postings["period"] == period.id)]
    ids = {i for text in mine["evidence_ids"] for i in str(text or "").split(";") if i}
    lines = payment_lines(
        postings, people, payer, period.id, sources.references(session, contract_id, ids)
    )
    submitted = sources.submitted_at(session, contract_id, not_payable["evidence_id"])
    money = money_in(session, spec, period, payer, cut_off)
    tables = (
        payer_summary(spec, postings, payer, period, money),
        lines,
        not_payable_lines(not_payable, submitted, people, period.start, period.end),
        money_received(money, payer),
        payments_by_period(spec, postings, payer, period),
    )
    party = spec.party(payer).name
    claims = sources.claims_of(session, contract_id, period.id, payer)
    title = f"Payment report: {spec.contract.name}, {party}, {period.id}"
    cover = (
        ("Report", f"what {party} owes for {period.id} and why, line by line"),
        ("Claim", "; ".join(claims) or "no claim issued yet for this period"),
        ("Contract", f"{spec.contract.name} ({contract_id})"),
        ("Payer", f"{party} ({payer})"),
        ("Period", f"{period.id}: {period.start.isoformat()} to {period.end.isoformat()}"),
        ("Cut-off", f"{cut_off:%Y-%m-%d %H:%M:%S} UTC: postings and evidence known by then"),
        ("Spec version", f"{version} (lines show the version each was posted under)"),
        *_later_version(session, active, ActiveSpec(version, spec), payer, period, cut_off),
        ("Currency", f"{spec.contract.currency}; amounts are exact, lines sum to the claim"),
        ("Withdrawals", withdrawals_line(withdrawn)),
    )
    charts = (
        Chart(
            ChartKind.LINE,
            "Cumulative payments against the limit",
            "payments_by_period",
            "period",
            ("cumulative", "limit"),
            spec.contract.currency,
        ),
    )
    return report_for(
        spec,
        "commissioner",
        title,
        period.id,
        cut_off,
        version,
        cover,
        tables,
        "lines",
        charts,
    )


def _decided_now(
    session: Session, spec: ContractSpec, period: Period, cut_off: datetime
) -> pd.DataFrame:
    """The not-payable rows the engine decides under `spec` as of `cut_off` (a what-if, or a
    run from before runs kept them): of people with evidence achieved or submitted in the
    period only. The engine runs before anything else is read, so its peak memory adds to
    nothing but the facts."""
    contract_id = spec.contract.id
    facts = load_facts(session, contract_id, cut_off, spec)
    evidence = facts.evidence
    achieved = pd.to_datetime(evidence["achieved_on"])
    in_period = (achieved >= pd.Timestamp(period.start)) & (achieved <= pd.Timestamp(period.end))
    listed = set(evidence.loc[in_period.to_numpy(), "participant_id"].astype("str").unique())
    listed |= sources.submitting_in(session, contract_id, period.start, period.end, cut_off)
    return compute_entitlement(spec, facts, wanted=no_lines, not_payable=listed).not_payable


def _later_version(
    session: Session,
    in_force: ActiveSpec,
    claimed: ActiveSpec,
    payer: str,
    period: Period,
    cut_off: datetime,
) -> tuple[tuple[str, str], ...]:
    """A cover line when a later version is in force than the one the claim was made under:
    what it would pay the payer for outcomes achieved in the period on the same facts."""
    if in_force.version == claimed.version:
        return ()
    contract_id = claimed.spec.contract.id
    change = compare_specs(session, contract_id, claimed, in_force.spec, cut_off)
    mine = [c for c in change.by_payer_period if c.payer == payer and c.period == period.id]
    lines = [c for c in change.lines if c.payer == payer and c.period == period.id]
    before = sum((c.before for c in mine), Decimal(0))
    after = sum((c.after for c in mine), Decimal(0))
    currency = claimed.spec.contract.currency
    if before == after:
        would = f"version {in_force.version} would pay the same for outcomes achieved then"
    else:
        would = (
            f"version {in_force.version} would change what {payer} owes for outcomes achieved "
            f"in {period.id} from {before} to {after} {currency} ({after - before:+} on "
            f"{len(lines)} lines); a new run of the period would post the difference"
        )
    return (
        (
            "Later version",
            f"version {in_force.version} is in force now; this claim was made under version "
            f"{claimed.version} at the cut-off {cut_off:%Y-%m-%d %H:%M:%S} UTC and its figures "
            f"are that run's; on the facts known then, {would}",
        ),
    )
