"""Decisions, cohort results, remittances and cash are checked before the write lock and
stored under it, like participants and evidence (ledger.services.checked_import): a file
checked while another import lands is checked again under the lock, so the answer is the one
the two imports would have had one after the other, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from ledger.domain.errors import RejectedUpload
from ledger.services.checked_import import CheckedImport, in_two_sessions, store_checked
from ledger.services.contracts import ActiveSpec, active_spec, load_spec_file
from ledger.services.enrolment import participants_import
from ledger.services.evidence import evidence_import
from ledger.services.results import results_import
from ledger.services.verification import decisions_import
from ledger.storage.db import reading, unit_of_work
from ledger.storage.tables import CashTransaction, CohortResult, VerificationDecision, table_of
from ledger.storage.uploads import ImportSummary
from reconciliation.income import cash_by_hand_import
from reconciliation.remittances import remittances_import
from reconciliation.tables import RemittanceRow

PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
Job = Callable[[Path], CheckedImport]


def rows(engine: Engine, model: type[SQLModel]) -> int:
    with reading(engine) as session:
        return int(
            session.connection()
            .execute(select(func.count()).select_from(table_of(model)))
            .scalar_one()
        )


def csv(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def with_evidence(engine: Engine, active: ActiveSpec, uploads: Path, now: datetime) -> ActiveSpec:
    """dwp-test with acme's three participants and four evidence rows, all pending."""
    in_two_sessions(
        engine,
        participants_import("dwp-test", uploads / "participants_good.csv", actor="t", now=now),
    )
    in_two_sessions(
        engine, evidence_import("dwp-test", uploads / "evidence_good.csv", actor="t", now=now)
    )
    return active


def checked_then_landed(engine: Engine, job: Job, first: Path, second: Path) -> ImportSummary:
    """`second` checked in a read-only session; then `first` imported meanwhile; returns the
    job of `second`, whose check is now stale, with its checked rows to store."""
    stale = job(second)
    with reading(engine) as reader:
        checked = stale.check(reader)
    in_two_sessions(engine, job(first))
    with unit_of_work(engine) as session:
        summary = store_checked(session, stale, checked)
    return summary


def test_decisions_checked_before_the_same_decisions_landed_are_unchanged_under_the_lock(
    engine: Engine, with_evidence: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    file = csv(
        tmp_path,
        "decisions.csv",
        "evidence_id,decision,reason\nacme/E1,verified,\nacme/E2,verified,\n",
    )

    def job(path: Path) -> CheckedImport:
        return decisions_import("dwp-test", path, actor="v", now=now)

    # checked when both were pending (2 new); stored after the same file verified them: the
    # check under the lock finds both decided already, so nothing is recorded twice
    summary = checked_then_landed(engine, job, file, file)
    assert (summary.new, summary.unchanged) == (0, 2)
    assert rows(engine, VerificationDecision) == 2


def test_a_decision_checked_before_a_conflicting_one_landed_is_refused_under_the_lock(
    engine: Engine, with_evidence: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    verify = csv(tmp_path, "verify.csv", "evidence_id,decision,reason\nacme/E1,verified,\n")
    reject = csv(
        tmp_path, "reject.csv", "evidence_id,decision,reason\nacme/E1,rejected,false payslip\n"
    )

    def job(path: Path) -> CheckedImport:
        return decisions_import("dwp-test", path, actor="v", now=now)

    with pytest.raises(RejectedUpload) as refused:
        checked_then_landed(engine, job, verify, reject)  # fine while pending; not once verified
    assert refused.value.lines() == [
        "reject.csv:2: decision: cannot follow verified: only pending or automatic evidence "
        "can be rejected (verified evidence is revoked instead)"
    ]
    assert rows(engine, VerificationDecision) == 1


RESULTS = "result_id,metric,cohort,observed,comparison,units,evaluated_on\n"


@pytest.fixture
def cohort_spec(engine: Engine, now: datetime) -> ActiveSpec:
    """A contract that pays on cohort results (the spec language's example)."""
    from contract_specs.loader import load_spec

    examples = Path(__file__).parents[2] / "contract_specs" / "examples"
    for path in sorted(examples.glob("*.yaml")):
        if load_spec(path).cohort_metrics:
            with unit_of_work(engine) as session:
                load_spec_file(session, path, actor="t", now=now)
                return active_spec(session, load_spec(path).contract.id)
    pytest.skip("no example spec with cohort metrics")


def test_results_checked_before_the_same_results_landed_are_unchanged_under_the_lock(
    engine: Engine, cohort_spec: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    spec = cohort_spec.spec
    metric = spec.cohort_metrics[0]
    cohort = "pool" if metric.pooled else metric.cohorts[0]
    file = csv(
        tmp_path,
        "results.csv",
        RESULTS + f"R1,{metric.id},{cohort},1.5,1.0,100,{spec.contract.service_start}\n",
    )
    contract = spec.contract.id

    def job(path: Path) -> CheckedImport:
        return results_import(contract, path, actor="e", now=now)

    summary = checked_then_landed(engine, job, file, file)
    assert (summary.new, summary.unchanged) == (0, 1)
    assert rows(engine, CohortResult) == 1


REMITTANCES = "payer,amount,date,reference\n"


def test_remittances_checked_before_the_same_file_landed_are_unchanged_under_the_lock(
    engine: Engine, active: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    file = csv(
        tmp_path, "bank.csv", REMITTANCES + "dwp,2800.00,2015-07-20,DWP-TEST-2015-Q2-DWP-1\n"
    )

    def job(path: Path) -> CheckedImport:
        return remittances_import("dwp-test", path, actor="finance", now=now)

    # two imports of one statement never store its payment twice, nor crash on the unique key
    summary = checked_then_landed(engine, job, file, file)
    assert (summary.new, summary.unchanged) == (0, 1)
    assert rows(engine, RemittanceRow) == 1


CASH = "date,kind,tranche,party,component,amount,reference\n"


@pytest.fixture
def peterborough(engine: Engine, now: datetime) -> ActiveSpec:
    with unit_of_work(engine) as session:
        load_spec_file(session, PETERBOROUGH, actor="t", now=now)
        return active_spec(session, "peterborough")


def test_outcome_income_checked_before_a_remittance_landed_is_refused_under_the_lock(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    """Once a remittance is on record, outcome income comes from matched remittances only:
    a cash file checked just before the first remittance landed is checked again, and refused."""
    income = csv(
        tmp_path, "cash.csv", CASH + "2017-08-31,outcome_income,,moj,,5580000.00,MOJ-2017-Q3\n"
    )
    stale = cash_by_hand_import("peterborough", income, actor="t", now=now)
    with reading(engine) as reader:
        checked = stale.check(reader)  # no remittance yet: outcome income may be imported
    bank = csv(tmp_path, "bank.csv", REMITTANCES + "moj,5580000.00,2017-08-31,MOJ-2017-Q3\n")
    in_two_sessions(engine, remittances_import("peterborough", bank, actor="finance", now=now))
    with pytest.raises(RejectedUpload) as refused, unit_of_work(engine) as session:
        store_checked(session, stale, checked)
    assert (
        "recorded by reconciliation once a remittance matches a claim" in refused.value.lines()[0]
    )
    assert rows(engine, CashTransaction) == 0


def test_cash_checked_before_the_same_file_landed_is_unchanged_under_the_lock(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    file = csv(
        tmp_path, "cash.csv", CASH + "2010-10-01,capital_drawn,foundations,,,1000000.00,DRAW-1\n"
    )

    def job(path: Path) -> CheckedImport:
        return cash_by_hand_import("peterborough", path, actor="t", now=now)

    summary = checked_then_landed(engine, job, file, file)
    assert (summary.new, summary.unchanged) == (0, 1)
    assert rows(engine, CashTransaction) == 1
