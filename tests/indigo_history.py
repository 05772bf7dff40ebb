"""A small history of an example contract for the INDIGO export's tests: the spec loaded, its
busiest embedded example played through the ledger (participants, evidence verified, results,
capital drawn), its last period reconciled and every claim paid."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from contract_specs.loader import load_spec
from contract_specs.model import ContractSpec, Example, from_minor
from ledger.services.cash import import_cash
from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import COLUMNS as PARTICIPANT_COLUMNS
from ledger.services.enrolment import import_participants
from ledger.services.evidence import COLUMNS as EVIDENCE_COLUMNS
from ledger.services.evidence import import_evidence
from ledger.services.results import COLUMNS as RESULT_COLUMNS
from ledger.services.results import import_results
from ledger.services.verification import COLUMNS as DECISION_COLUMNS
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from reconciliation.claims import load_claims
from reconciliation.periods import last_period, period_containing
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile


def busiest(spec: ContractSpec) -> Example:
    """The example that pays most lines: the fullest small history the spec itself gives."""
    return max(spec.examples, key=lambda e: (len(e.lines), len(e.results), len(e.evidence)))


def _write(path: Path, rows: Sequence[Mapping[str, object]], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def play_history(engine: Engine, spec_file: Path, folder: Path) -> tuple[str, Example, date]:
    """Load the spec and play its busiest example through the ledger; every claim is paid.
    Returns the contract id, the example and a day after everything happened."""
    spec = load_spec(spec_file)
    example = busiest(spec)
    days = [
        date.fromisoformat(str(row[key])[:10])
        for row in (*example.participants, *example.evidence, *example.results)
        for key in ("start_date", "achieved_on", "evaluated_on")
        if row.get(key)
    ] or [spec.contract.service_start]
    last = last_period(spec.contract)
    period = period_containing(max(days), spec.contract.payment_frequency)
    if last is not None and last < period:
        period = last
    known = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), UTC)
    cut_off = max(known, datetime.combine(period.end, datetime.min.time(), UTC)) + timedelta(days=1)
    with unit_of_work(engine) as session:
        load_spec_file(session, spec_file, actor="test", now=known - timedelta(days=9000))
    cid = spec.contract.id
    attributes = [a.name for a in spec.attributes]
    with unit_of_work(engine) as session:
        active = active_spec(session, cid)
        # the people of an example gave every consent the contract relies on (they joined)
        consents = [c.name for c in spec.consents]
        people = [{**dict.fromkeys(consents, "true"), **dict(p)} for p in example.participants]
        if people:
            columns = [*PARTICIPANT_COLUMNS, *attributes, *consents]
            path = _write(folder / "participants.csv", people, columns)
            import_participants(session, cid, active, path, actor="p", now=known)
        evidence = [dict(e) for e in example.evidence]
        if evidence:
            path = _write(folder / "evidence.csv", evidence, list(EVIDENCE_COLUMNS))
            import_evidence(session, cid, active, path, actor="p", now=known)
            decided = [
                {"evidence_id": e["evidence_id"], "decision": "verified", "reason": "checked"}
                for e in evidence
                if e.get("status", "verified") == "verified"
            ]
            path = _write(folder / "decisions.csv", decided, list(DECISION_COLUMNS))
            import_decisions(session, cid, path, actor="v", now=known)
        if example.results:
            columns = [*RESULT_COLUMNS, "reference"]
            path = _write(folder / "results.csv", [dict(r) for r in example.results], columns)
            import_results(session, cid, active, path, actor="e", now=known)
        if spec.investment is not None:
            # a tenth of each tranche drawn on the first day of service
            drawn = [
                {
                    "date": spec.contract.service_start.isoformat(),
                    "kind": "capital_drawn",
                    "amount": str(t.commitment / 10),
                    "reference": f"draw-{t.id}",
                    "tranche": t.id,
                }
                for t in spec.investment.tranches
            ]
            columns = ["date", "kind", "amount", "reference", "tranche"]
            path = _write(folder / "cash.csv", drawn, columns)
            import_cash(session, cid, active, path, actor="i", now=known)
    reconcile(engine, cid, period.id, as_of=cut_off, actor="test", now=cut_off + timedelta(days=1))
    with unit_of_work(engine) as session:
        claims = [c for c in load_claims(session, cid) if c.amount > 0]
        exponent = spec.contract.exponent
        paid = [
            {
                "payer": c.payer,
                "amount": str(from_minor(c.amount, exponent)),
                "date": (cut_off + timedelta(days=5)).date().isoformat(),
                "reference": c.reference,
            }
            for c in claims
        ]
        if paid:
            path = _write(
                folder / "remittances.csv", paid, ["payer", "amount", "date", "reference"]
            )
            import_remittances(
                session, cid, spec, path, actor="bank", now=cut_off + timedelta(days=6)
            )
    return cid, example, (cut_off + timedelta(days=10)).date()
