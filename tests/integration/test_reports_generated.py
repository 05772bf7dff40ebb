"""Reports on a generated Fair Chance Fund ledger (synthetic/generate.py) agree with the ledger
export to the penny, for every payer, period and provider."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from contract_specs.model import Role
from ledger.services.contracts import active_spec, load_spec_file
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.export import write_csv as export_csv
from ledger.services.postings import post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.report import Report
from reporting.write_text import write_json
from synthetic.funnel import PlantDrop
from synthetic.generate import GeneratedData, generate, write_csv

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "fair-chance-fund-ambition.yaml"
RUNS = (
    ("2016-Q2", datetime(2016, 7, 5, tzinfo=UTC)),
    ("2016-Q3", datetime(2016, 10, 5, tzinfo=UTC)),
)


def known_by(data: GeneratedData, day: datetime) -> GeneratedData:
    """What providers could have sent by `day`: evidence of outcomes achieved by then (intake
    refuses evidence dated after its submission), and the decisions on it."""
    evidence = data.evidence[data.evidence["achieved_on"] <= day.replace(tzinfo=None)]
    sent = set(evidence["evidence_id"])

    def decided(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["evidence_id"].isin(sent)]

    return dataclasses.replace(
        data,
        evidence=evidence,
        decisions=decided(data.decisions),
        revocations=decided(data.revocations),
    )


def tables(report: Report) -> dict[str, list[dict[str, object]]]:
    out = io.StringIO()
    write_json(report, out)
    found: dict[str, list[dict[str, object]]] = json.loads(out.getvalue())["tables"]
    return found


def test_generated_ledger_reports_agree_with_the_export(engine: Engine, tmp_path: Path) -> None:
    data = known_by(generate(SPEC, 150, seed=7), datetime(2016, 6, 1, tzinfo=UTC))
    files = write_csv(data, tmp_path / "data", sidecars=False)
    with unit_of_work(engine) as session:
        contract = load_spec_file(session, SPEC, actor="test", now=datetime(2015, 1, 1, tzinfo=UTC))
    cid = contract.contract_id
    first, second = RUNS
    with unit_of_work(engine) as session:
        active = active_spec(session, cid)
        at = datetime(2016, 6, 1, tzinfo=UTC)
        import_participants(session, cid, active, files["participants"], actor="p", now=at)
        import_evidence(session, cid, active, files["evidence"], actor="p", now=at)
        import_decisions(session, cid, files["decisions"], actor="v", now=at)
        post_entitlement(session, cid, first[0], first[1], "run-1", now=first[1])
    with unit_of_work(engine) as session:
        at = datetime(2016, 8, 1, tzinfo=UTC)
        import_decisions(session, cid, files["revocations"], actor="v", now=at)
        post_entitlement(session, cid, second[0], second[1], "run-2", now=second[1])

    out = io.StringIO()
    with unit_of_work(engine) as session:
        export_csv(session, cid, out)
    exported: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in csv.DictReader(io.StringIO(out.getvalue())):
        exported[(row["payer"], row["period"])] += Decimal(row["amount"])
    assert exported, "the generated ledger pays something"
    spec = data.spec
    for payer in (p.party for p in spec.payers):
        to_date = Decimal(0)
        for period, _ in RUNS:
            with unit_of_work(engine) as session:
                found = tables(commissioner_report(session, cid, period, payer))
            lines = sum(Decimal(str(r["amount"])) for r in found["lines"])
            summary = {r["item"]: r["amount"] for r in found["summary"]}
            to_date += exported[(payer, period)]
            assert lines == Decimal(str(summary["Claim this period"])) == exported[(payer, period)]
            assert Decimal(str(summary["Claimed to date"])) == to_date
    paid = Decimal(0)
    for provider in spec.parties_with(Role.PROVIDER):
        with unit_of_work(engine) as session:
            found = tables(provider_report(session, cid, "2016-Q3", provider.id))
        paid += sum(
            Decimal(str(r["paid_amount"])) for r in found["progress"] if r["cohort"] != "all"
        )
    assert paid == sum(exported.values())


def test_a_planted_drop_in_3_month_sustainment_is_flagged(engine: Engine, tmp_path: Path) -> None:
    """The generator makes Ambition's 3-month sustainment 60% rarer for those due from 2016-Q2
    on; the progress report for 2016-Q2 flags that drop, and nothing else."""
    drop = PlantDrop("ambition", "accommodation_sustained_3m", "2016-Q2", 60)
    # everything achieved by the end of the quarter, sent on its last day
    at = datetime(2016, 6, 30, 12, tzinfo=UTC)
    data = known_by(generate(SPEC, 1000, seed=7, plant_drop=drop), at)
    files = write_csv(data, tmp_path / "data", sidecars=False)
    with unit_of_work(engine) as session:
        cid = load_spec_file(session, SPEC, actor="test", now=at).contract_id
        active = active_spec(session, cid)
        import_participants(session, cid, active, files["participants"], actor="p", now=at)
        import_evidence(session, cid, active, files["evidence"], actor="p", now=at)
        import_decisions(session, cid, files["decisions"], actor="v", now=at)
    with unit_of_work(engine) as session:
        found = tables(provider_report(session, cid, "2016-Q2", "ambition"))
    assert [(r["kind"], r["metric"], r["period"]) for r in found["flags"]] == [
        ("deviation", "accommodation_sustained_3m", "2016-Q2")
    ]
    assert "drop" in str(found["flags"][0]["flag"])
