"""The commissioner's payment report for one payer and period (issue "Reports").

Summary (claim, adjustments, to date, received, outstanding, commitment and caps remaining,
verdict), the lines (every posting, summing to the claim), the evidence that earned nothing,
money received and how it matched, and payments by period against the payer's limit.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.entitlement.engine import no_lines
from ledger.services.contracts import active_spec, spec_version, typed_spec
from ledger.services.facts import load_facts, utc
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
    """The payment report of `payer` for `period_id`, as the ledger stood at the cut-off.

    The cut-off defaults to the latest posting into the period (the run the claim came from),
    else the end of the period: never the clock, so the same ledger gives the same report.
    """
    active = active_spec(session, contract_id)
    checked_request(active.spec, period_id, payer=payer, as_of=as_of)
    # the run that made the period's claim is the record: its spec version and cut-off, not
    # the version in force now (issue 18); a cut-off asked for is a what-if under today's spec
    run = None if as_of is not None else sources.claim_run(session, contract_id, period_id)
    version = active.version if run is None else run[0]
    spec = active.spec if run is None else typed_spec(spec_version(session, contract_id, version))
    period = checked_request(spec, period_id, payer=payer, as_of=as_of)
    last = run[1] if run is not None else sources.last_posted(session, contract_id, period.id)
    cut_off = utc(as_of or last or end_of(period))
    facts = load_facts(session, contract_id, cut_off, spec)
    people = facts.participants
    withdrawn = int(people["withdrawn_on"].notna().sum())
    # only the rows not paid (the lines come from the postings), and of those only the ones
    # this report can list: of people with evidence achieved or submitted in the period. The
    # engine runs before anything else is read, so its peak memory adds to nothing but facts.
    evidence = facts.evidence
    achieved = pd.to_datetime(evidence["achieved_on"])
    in_period = (achieved >= pd.Timestamp(period.start)) & (achieved <= pd.Timestamp(period.end))
    listed = set(evidence.loc[in_period.to_numpy(), "participant_id"].astype("str").unique())
    listed |= sources.submitting_in(session, contract_id, period.start, period.end, cut_off)
    not_payable = compute_entitlement(spec, facts, wanted=no_lines, not_payable=listed).not_payable
    del facts, evidence, achieved  # a million participants' evidence: not needed past the engine
    postings = sources.postings(session, contract_id, cut_off)
    versions: dict[int, ContractSpec] = {version: spec}

    def spec_of(version: int) -> ContractSpec:
        if version not in versions:
            versions[version] = typed_spec(spec_version(session, contract_id, version))
        return versions[version]

    mine = postings[(postings["payer"] == payer) & (postings["period"] == period.id)]
    ids = {i for text in mine["evidence_ids"] for i in str(text or "").split(";") if i}
    lines = payment_lines(
        postings, people, payer, period.id, spec_of, sources.references(session, contract_id, ids)
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
        *_later_version(active.version, version, cut_off),
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


def _later_version(in_force: int, claimed: int, cut_off: datetime) -> tuple[tuple[str, str], ...]:
    """A cover line when a later version is in force than the one the claim was made under."""
    if in_force == claimed:
        return ()
    return (
        (
            "Later version",
            f"version {in_force} is in force now; this claim was made under version {claimed} "
            f"at the cut-off {cut_off:%Y-%m-%d %H:%M:%S} UTC and its figures are that run's; "
            "a new run of the period would price open keys under the version in force",
        ),
    )
