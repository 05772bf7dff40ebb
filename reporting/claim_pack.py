"""The claim pack a payer approves and pays from, for one payer and period (issue 14).

Built on the commissioner's payment report (its frames, whatever the report read them from):
a first sheet that names the claim (reference, issue and due dates, payer and payee, amount),
its totals by outcome adding up to the claim, the commitment and caps before and after it, what
changed since the last claim (each change quoting the claim it reverses, and why) and what can
no longer be claimed from whom; then the report's own sheets, the lines with what an auditor
samples on (evidence type, submitted at, verified by and at), every heading in words. The same
figures print as a PDF claim (reporting.write_pdf).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import pandas as pd
from sqlmodel import Session

from contract_specs.model import ContractSpec, Role, from_minor
from ledger.services.contracts import spec_version, typed_spec
from reconciliation.periods import parse_period
from reporting.claim_changes import changes_since_last_claim, no_longer_claimable, previous_claim
from reporting.claim_headings import in_words
from reporting.claim_position import claim_position
from reporting.claim_sources import (
    Audit,
    IssuedClaim,
    audits,
    claim_of_postings,
    issued_claims,
    posted_sums,
    postings_of,
)
from reporting.claim_totals import claim_totals
from reporting.commissioner import commissioner_report
from reporting.report import Column, Kind, Report, Table

FRONT = ("claim_totals", "claim_position", "claim_changes", "claim_limits")
AUDIT_COLUMNS = (
    Column("evidence_type"),
    Column("submitted_at", Kind.MOMENT),
    Column("decision"),
    Column("verified_by"),
    Column("verified_at", Kind.MOMENT),
)
# the lines' columns a page prints, in the order an auditor reads them; the ids, references
# and the engine's reason follow on screen (a page one line wide would print them unreadably)
PRINTED = (
    "participant_id",
    "metric",
    "achieved_on",
    "evidence_type",
    "submitted_at",
    "decision",
    "verified_by",
    "verified_at",
    "tariff",
    "amount",
    "kind",
    "corrects_period",
    "late_from_period",
)
KEPT_COVER = ("Contract", "Cut-off", "Spec version", "Later version", "Currency")


def money_text(minor: int, currency: str, exponent: int) -> str:
    """An amount as a reader sees it in a sentence: "101,275.00 GBP"."""
    return f"{from_minor(minor, exponent):,} {currency}"


def payee_of(spec: ContractSpec) -> str:
    """Who is paid: the investment vehicle when the contract has one, else the intermediary,
    else the providers (the spec names no payee of its own)."""
    if spec.investment is not None and spec.investment.vehicle:
        return spec.investment.vehicle
    for role in (Role.INTERMEDIARY, Role.PROVIDER):
        parties = spec.parties_with(role)
        if parties:
            return "; ".join(f"{p.name} ({p.id})" for p in parties)
    return "not named in the contract"


def claim_pack(
    session: Session,
    contract_id: str,
    period_id: str,
    payer: str,
    as_of: datetime | None = None,
) -> Report:
    """The claim pack of `payer` for `period_id`: the payment report, with the first sheet a
    payer approves from and the lines' audit columns, headed in words."""
    report = commissioner_report(session, contract_id, period_id, payer, as_of)
    versions: dict[int, ContractSpec] = {}

    def spec_of(version: int) -> ContractSpec:
        if version not in versions:
            versions[version] = typed_spec(spec_version(session, contract_id, version))
        return versions[version]

    spec = spec_of(report.spec_version)
    period = parse_period(period_id, spec.contract.payment_frequency)
    lines = report.table("lines")
    sums = posted_sums(session, contract_id, report.cut_off)
    claims = issued_claims(session, contract_id, payer, report.cut_off)
    these = [c for c in claims if c.period == period.id]
    changed = lines.frame[lines.frame["kind"] != "outcome_payment"]
    # the payer's postings of the keys this claim changes: where their earlier claims are
    earlier = postings_of(
        session, contract_id, payer, changed["participant_id"], report.cut_off
    ).merge(
        changed[["participant_id", "metric", "occurrence"]]
        .astype({"participant_id": "object", "metric": "object", "occurrence": "int64"})
        .drop_duplicates()
    )
    claim_of = claim_of_postings(session, contract_id, earlier["posting_id"])
    ids = {i for text in lines.frame["evidence_ids"] for i in str(text or "").split(";") if i}
    position = claim_position(spec, sums, payer, period)
    frequency = spec.contract.payment_frequency
    upto = sums.loc[
        pd.Series(
            [parse_period(str(p), frequency) <= period for p in sums["period"]], dtype=bool
        ).to_numpy()
    ]
    mine_after = int(upto.loc[upto["payer"] == payer, "amount"].sum())
    contract_after = int(upto["amount"].sum())
    front = (
        claim_totals(lines.frame, payer, spec_of, spec),
        position,
        changes_since_last_claim(lines.frame, earlier, claim_of, spec, payer),
        no_longer_claimable(
            lines.frame, spec, payer, mine_after, contract_after, spec.contract.exponent
        ),
    )
    audited = with_audit(lines, audits(session, contract_id, ids, report.cut_off))
    rest = tuple(audited if t.name == "lines" else t for t in report.tables)
    reference = "; ".join(c.reference for c in these)
    party = spec.party(payer).name
    title = (
        f"Claim {reference}: {spec.contract.name}, {party}, {period.id}"
        if reference
        else report.title
    )
    return replace(
        report,
        title=title,
        cover=_cover(report, spec, payer, these, previous_claim(claims, period.id)),
        tables=tuple(in_words(t) for t in (*front, *rest)),
        front=FRONT,
        reference=reference or f"no claim issued yet: {party}, {period.id}",
    )


def _cover(
    report: Report,
    spec: ContractSpec,
    payer: str,
    these: list[IssuedClaim],
    last: IssuedClaim | None,
) -> tuple[tuple[str, str], ...]:
    """The claim's own lines: what a payer's accounts-payable team keys in."""
    currency, exponent = report.currency, report.exponent
    amount = int(report.table("lines").frame["amount"].sum())
    kept = dict(report.cover)
    claim: tuple[tuple[str, str], ...] = (("Claim reference", "no claim issued yet"),)
    if these:
        claim = (
            ("Claim reference", "; ".join(c.reference for c in these)),
            ("Issued on", "; ".join(c.claimed_on.isoformat() for c in these)),
            ("Due on", "; ".join(c.due_on.isoformat() for c in these)),
        )
    since = (
        f"{last.reference} ({last.period}, {money_text(last.amount, currency, exponent)}, "
        f"issued {last.claimed_on.isoformat()})"
        if last is not None
        else "none: this is the payer's first claim"
    )
    return (
        *claim,
        ("Payer", f"{spec.party(payer).name} ({payer})"),
        ("Payee", payee_of(spec)),
        ("Amount claimed", money_text(amount, currency, exponent)),
        ("Period", kept.get("Period", report.period)),
        ("Last claim", since),
        *((label, kept[label]) for label in KEPT_COVER if label in kept),
    )


def with_audit(lines: Table, found: Mapping[str, Audit]) -> Table:
    """The lines with what an auditor samples on, beside their evidence: its type, when it was
    submitted, the latest decision and who verified it, when (several evidence rows: each)."""
    columns: dict[str, list[object]] = {c.name: [] for c in AUDIT_COLUMNS}
    for text in lines.frame["evidence_ids"]:
        rows = [found[i] for i in str(text or "").split(";") if i in found]
        columns["evidence_type"].append("; ".join(dict.fromkeys(a.evidence_type for a in rows)))
        columns["submitted_at"].append(
            max((a.submitted_at for a in rows if a.submitted_at), default=None)
        )
        columns["decision"].append(
            "; ".join(dict.fromkeys(a.decision or "automatic" for a in rows))
        )
        columns["verified_by"].append(
            "; ".join(dict.fromkeys(a.verified_by for a in rows if a.verified_by))
        )
        columns["verified_at"].append(
            max((a.verified_at for a in rows if a.verified_at), default=None)
        )
    frame = lines.frame.assign(
        **{c.name: pd.Series(columns[c.name], dtype="object") for c in AUDIT_COLUMNS}
    )
    every = {c.name: c for c in (*lines.columns, *AUDIT_COLUMNS)}
    order = (*PRINTED, *(name for name in every if name not in PRINTED))
    return replace(
        lines,
        columns=tuple(every[name] for name in order),
        frame=frame[list(order)],
        printed=len(PRINTED),
    )
