"""Money received and matched to claims becomes the vehicle's outcome income, once.

The small rate card of tests/conftest.py (job entry 3,500 split 80/20 between dwp and topup),
here with an investment vehicle so that the investor report has somewhere to put the money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from contract_specs.model import ContractSpec, Investment, Tranche, TrancheKind
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.services.cash import load_cash
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from reconciliation.income import matched_income
from reconciliation.matching import Kind, Match, Matching, Remittance, Status
from reconciliation.remittances import import_remittances
from reconciliation.runs import RunReport, reconcile
from reporting.investor import investor_report
from tests.conftest import small_spec


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture
def spec() -> ContractSpec:
    """The small spec with a one-tranche vehicle (overrides conftest's `spec`)."""
    fund = Tranche("equity", TrancheKind.EQUITY, "fund", Decimal("10000.00"), rank=1)
    # its own content hash: the parse cache is keyed by it
    return replace(
        small_spec(),
        investment=Investment("Test SPV", (fund,)),
        content_hash="test-small-spec-with-vehicle",
    )


def _upload(
    engine: Engine,
    folder: Path,
    when: str,
    name: str,
    text: str,
    service: Callable[..., object],
    *args: object,
) -> None:
    path = folder / name
    path.write_text(text)
    with unit_of_work(engine) as session:
        service(session, "dwp-test", *args, path, actor="t", now=at(when))


def _reconcile(engine: Engine, when: str) -> RunReport:
    return reconcile(engine, "dwp-test", "2015-Q2", actor="manager", now=at(when))


def _income(engine: Engine) -> list[tuple[date, str, int, str]]:
    with unit_of_work(engine) as session:
        flows = load_cash(session, "dwp-test")
    return [
        (f.on, f.party, f.amount, f.reference[:11])
        for f in flows
        if f.kind is CashKind.OUTCOME_INCOME
    ]


def test_matched_remittances_become_outcome_income_once(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    _upload(
        engine, tmp_path, "2015-06-01", "people.csv",
        "participant_id,cohort,provider,start_date,date_of_birth\nP1,c1,acme,2015-02-01,1995-06-01\n",
        import_participants, active,
    )  # fmt: skip
    _upload(
        engine, tmp_path, "2015-06-01", "evidence.csv",
        "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        "E1,P1,job_entry,2015-05-10,payslip,,\n",
        import_evidence, active,
    )  # fmt: skip
    verified = "evidence_id,decision,reason\nE1,verified,\n"
    _upload(engine, tmp_path, "2015-06-01", "ok.csv", verified, import_decisions)
    first = _reconcile(engine, "2015-07-03")
    assert first.by_payer == {"dwp": 280_000, "topup": 70_000}
    assert (first.income_recorded, _income(engine)) == (0, [])  # claimed, nothing received yet

    _upload(
        engine, tmp_path, "2015-07-22", "bank.csv",
        "payer,amount,date,reference\n"
        "dwp,2800.00,2015-07-20,DWP-TEST-2015-Q2-DWP-1\n"
        "topup,690.00,2015-07-21,DWP-TEST-2015-Q2-TOPUP-1\n"  # short by 10.00: a break
        "dwp,99.00,2015-07-22,no such claim\n",  # unknown reference: a break
        import_remittances, active.spec,
    )  # fmt: skip
    second = _reconcile(engine, "2015-07-25")
    assert second.postings == 0
    assert second.income_recorded == 1
    assert _income(engine) == [(date(2015, 7, 20), "dwp", 280_000, "remittance:")]

    # re-running records nothing twice; a settling remittance later is added on its own
    assert _reconcile(engine, "2015-07-26").income_recorded == 0
    _upload(
        engine, tmp_path, "2015-07-28", "bank2.csv",
        "payer,amount,date,reference\ntopup,10.00,2015-07-28,DWP-TEST-2015-Q2-TOPUP-1\n",
        import_remittances, active.spec,
    )  # fmt: skip
    assert _reconcile(engine, "2015-07-29").income_recorded == 2  # the split pays the claim
    assert _reconcile(engine, "2015-07-30").income_recorded == 0
    assert sorted(_income(engine)) == [
        (date(2015, 7, 20), "dwp", 280_000, "remittance:"),
        (date(2015, 7, 21), "topup", 69_000, "remittance:"),
        (date(2015, 7, 28), "topup", 1_000, "remittance:"),
    ]

    with unit_of_work(engine) as session:
        report = investor_report(session, "dwp-test", "2015-Q3", at("2015-10-01"))
    income = report.table("income").frame
    assert income[["period", "payer", "amount"]].values.tolist() == [
        ["2015-Q3", "dwp", 280_000],
        ["2015-Q3", "topup", 70_000],
    ]


def test_without_an_investment_vehicle_nothing_is_recorded(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    plain = small_spec()
    with unit_of_work(engine) as session:
        register_spec(session, plain, {"small_spec": True}, actor="test", now=now)
    remember(plain)
    active = ActiveSpec(1, plain)
    _upload(
        engine, tmp_path, "2015-07-21", "bank.csv",
        "payer,amount,date,reference\ndwp,1.00,2015-07-20,x\n",
        import_remittances, active.spec,
    )  # fmt: skip
    assert _reconcile(engine, "2015-07-25").income_recorded == 0


def test_only_matched_remittances_count_as_income() -> None:
    received = [
        Remittance("R1", "dwp", 500, date(2015, 7, 1), "A"),
        Remittance("R2", "dwp", 500, date(2015, 7, 2), "A"),
        Remittance("R3", "topup", -100, date(2015, 7, 3), "B"),
    ]
    matching = Matching(
        (
            Match(Status.MATCHED, Kind.EXACT, (("dwp", "2015-Q2", 1),), ("R1",), 500, 500),
            Match(Status.BREAK, Kind.DUPLICATE, (), ("R2",), 0, 500),
            Match(Status.MATCHED, Kind.EXACT, (("topup", "2015-Q2", 2),), ("R3",), -100, -100),
        )
    )
    assert matched_income(matching, received) == [
        CashFlow(
            date(2015, 7, 1), CashKind.OUTCOME_INCOME, 500, party="dwp", reference="remittance:R1"
        ),
        CashFlow(
            date(2015, 7, 3),
            CashKind.OUTCOME_INCOME,
            -100,
            party="topup",
            reference="remittance:R3",
        ),
    ]
