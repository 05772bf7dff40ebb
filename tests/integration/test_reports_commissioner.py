"""The commissioner's payment report on the hand-checked ledger (tests/integration/
test_reports_world.py): golden values computed by hand, sums against the ledger export, the
three formats, and the errors a user can cause."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.services.export import write_csv as export_csv
from ledger.storage.db import unit_of_work
from reporting.commissioner import commissioner_report
from reporting.errors import ReportError
from reporting.report import Report
from reporting.write_text import write_csv, write_json
from tests.integration.test_reports_world import CONTRACT, build_ledger


def report(engine: Engine, period: str = "2015-Q2", payer: str = "council") -> Report:
    with unit_of_work(engine) as session:
        return commissioner_report(session, CONTRACT, period, payer)


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Engine:
    build_ledger(engine, tmp_path)
    return engine


def as_json(made: Report) -> dict[str, Any]:
    out = io.StringIO()
    write_json(made, out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def test_the_lines_are_every_posting_of_the_payer_in_the_period(ledger: Engine) -> None:
    doc = as_json(report(ledger))
    lines = doc["tables"]["lines"]
    got = [
        (x["participant_id"], x["metric"], x["amount"], x["kind"], x["tariff"], x["provider"])
        for x in lines
    ]
    assert got == [
        # a commissioner sees every provider: the ledger keys, provider first
        ("north-care/P1", "sustained_3m", "1200.00", "outcome_payment", "1500.00", "north-care"),
        ("north-care/P2", "entry", "-400.00", "adjustment", "500.00", "north-care"),
        ("south-care/P5", "sustained_3m", "1200.00", "outcome_payment", "1500.00", "south-care"),
    ]
    first = lines[0]
    assert (first["cohort"], first["achieved_on"], first["evidence_ids"]) == (
        "c1",
        "2015-05-01",
        "north-care/E2",
    )
    assert first["evidence_references"] == "LL-E2"
    assert first["spec_version"] == 1
    assert lines[1]["corrects_period"] == "2015-Q1"


def test_the_summary_adds_up_by_hand(ledger: Engine) -> None:
    summary = {r["item"]: r for r in as_json(report(ledger))["tables"]["summary"]}
    amounts = {item: row["amount"] for item, row in summary.items()}
    assert amounts["Claim this period"] == "2000.00"
    assert amounts["of which outcome payments"] == "2400.00"
    assert amounts["of which adjustments"] == "-400.00"
    assert amounts["Claimed to date"] == "3200.00"
    assert amounts["Commitment"] == "10000.00"
    assert amounts["Commitment remaining"] == "6800.00"
    # all payers to date: Q1 1,500.00 + Q2 (2,000.00 + 500.00)
    assert amounts["Contract cap remaining"] == "46000.00"
    # nothing recorded about money received yet: said, not shown as zero
    assert amounts["Money received to date"] is None
    assert "no remittances" in summary["Money received to date"]["note"]


def test_the_lines_sum_to_the_claim_and_to_the_ledger_export(ledger: Engine) -> None:
    for payer in ("council", "top-up"):
        for period in ("2015-Q1", "2015-Q2"):
            doc = as_json(report(ledger, period, payer))
            tables: dict[str, list[dict[str, str]]] = doc["tables"]
            lines = sum((Decimal(x["amount"]) for x in tables["lines"]), Decimal(0))
            summary = {r["item"]: r["amount"] for r in tables["summary"]}
            out = io.StringIO()
            with unit_of_work(ledger) as session:
                export_csv(session, CONTRACT, out)
            exported = sum(
                Decimal(row["amount"])
                for row in csv.DictReader(io.StringIO(out.getvalue()))
                if row["payer"] == payer and row["period"] == period
            )
            assert lines == Decimal(summary["Claim this period"]) == exported


def test_not_payable_lists_evidence_of_the_period_that_earns_nothing(ledger: Engine) -> None:
    rows = as_json(report(ledger))["tables"]["not_payable"]
    assert [(r["evidence_id"], r["participant_id"], r["reason"]) for r in rows] == [
        ("north-care/E4", "north-care/P2", "prerequisite_not_met"),
        ("south-care/E8", "south-care/P6", "rejected"),
    ]


def test_payments_by_period_run_against_the_commitment(ledger: Engine) -> None:
    rows = as_json(report(ledger))["tables"]["payments_by_period"]
    assert [(r["period"], r["claimed"], r["cumulative"], r["limit"]) for r in rows] == [
        ("2015-Q1", "1200.00", "1200.00", "10000.00"),
        ("2015-Q2", "2000.00", "3200.00", "10000.00"),
    ]


def test_csv_is_the_lines_table_and_both_text_formats_are_byte_identical(ledger: Engine) -> None:
    texts = []
    for _ in range(2):
        made = report(ledger)
        out_csv, out_json = io.StringIO(), io.StringIO()
        write_csv(made, out_csv)
        write_json(made, out_json)
        texts.append((out_csv.getvalue(), out_json.getvalue()))
    assert texts[0] == texts[1]
    rows = list(csv.DictReader(io.StringIO(texts[0][0])))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("2000.00")


def test_the_cut_off_is_the_run_that_made_the_claim(ledger: Engine) -> None:
    made = report(ledger)
    assert made.cut_off.isoformat().startswith("2015-07-05T09:00:00")


def test_every_problem_with_the_request_is_named_at_once(ledger: Engine) -> None:
    with pytest.raises(ReportError) as raised:
        report(ledger, period="2015-07", payer="counsil")
    places = [p.place for p in raised.value.problems]
    assert places == ["--period", "--payer"]
    assert "council" in str(raised.value)  # says which payers there are


def test_money_received_and_the_verdict_once_reconciled(engine: Engine, tmp_path: Path) -> None:
    build_ledger(engine, tmp_path, reconciled=True)
    doc = as_json(report(engine))
    summary = {r["item"]: r for r in doc["tables"]["summary"]}
    amounts = {item: row["amount"] for item, row in summary.items()}
    assert amounts["Claim this period"] == "2000.00"
    assert amounts["Claimed on claim documents"] == "2000.00"
    assert summary["Claimed on claim documents"]["note"] == "agrees with the lines"
    assert amounts["Money received to date"] == "1200.00"  # Q1's claim, paid exactly
    assert amounts["Outstanding"] == "2000.00"
    # Q2's claims were issued at the run and are not due yet: pending, nothing unexplained
    assert (
        summary["Verdict"]["note"]
        == "council: reconciled_with_pending; period reconciled_with_pending"
    )
    received = doc["tables"]["received"]
    assert [(r["amount"], r["status"], r["matched_as"], r["claims"]) for r in received] == [
        ("1200.00", "matched", "exact", "REP-TEST-2015-Q1-COUNCIL-1")
    ]


def test_an_underpaid_claim_is_a_break_in_the_verdict(engine: Engine, tmp_path: Path) -> None:
    build_ledger(engine, tmp_path, reconciled=True)
    with unit_of_work(engine) as session:
        made = commissioner_report(
            session, CONTRACT, "2015-Q1", "top-up", datetime(2015, 7, 1, tzinfo=UTC)
        )
    summary = {r["item"]: r for r in as_json(made)["tables"]["summary"]}
    assert summary["Money received to date"]["amount"] == "290.00"
    assert summary["Outstanding"]["amount"] == "10.00"  # Q1 only: 300.00 claimed
    assert summary["Verdict"]["note"].startswith("top-up: breaks")
    (row,) = as_json(made)["tables"]["received"]
    assert (row["status"], row["matched_as"]) == ("break", "underpaid")


def test_a_claimed_period_keeps_the_version_and_cut_off_of_its_run(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 18: a later version with a higher tariff does not rewrite a claim already made."""
    from ledger.services.contracts import load_spec_file
    from tests.integration.test_reports_world import SPEC, at

    build_ledger(engine, tmp_path, reconciled=True)
    before = as_json(report(engine))
    dearer = tmp_path / "spec-v2.yaml"
    dearer.write_text(SPEC.replace('price: "1500.00"', 'price: "9000.00"'), encoding="utf-8")
    with unit_of_work(engine) as session:
        load_spec_file(session, dearer, actor="test", now=at(2015, 8, 1))
    made = report(engine)
    after = as_json(made)
    assert made.spec_version == 1
    assert made.cut_off.isoformat().startswith("2015-07-05T09:00:00")
    cover = after["cover"]
    assert cover["Spec version"].startswith("1 ")
    assert "version 2" in cover["Later version"]
    for name in ("lines", "not_payable", "summary", "payments_by_period"):
        assert after["tables"][name] == before["tables"][name], name


def test_the_cover_names_the_claim_it_is_the_report_of(engine: Engine, tmp_path: Path) -> None:
    """Issue 14: the reference the payer must quote, and when it was issued and falls due."""
    build_ledger(engine, tmp_path, reconciled=True)
    cover = as_json(report(engine))["cover"]
    claim = cover["Claim"]
    assert "issued 2015-07-05" in claim and "due 2015-08-04" in claim  # 30 days' terms
    assert claim.split(",")[0].endswith("-2")  # the council's second claim
