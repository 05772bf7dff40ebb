"""Cash transactions in the ledger: import all or nothing, corrections, and distributions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ledger.domain.errors import RejectedUpload
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.services.cash import NoInvestment, distribute, import_cash, load_cash, record_cash
from ledger.services.contracts import ActiveSpec, active_spec, load_spec_file
from ledger.storage.db import unit_of_work
from ledger.storage.tables import CashTransaction

PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
HEADER = "date,kind,tranche,party,component,amount,reference\n"


@pytest.fixture
def peterborough(engine: Engine, now: datetime) -> ActiveSpec:
    with unit_of_work(engine) as session:
        load_spec_file(session, PETERBOROUGH, actor="test", now=now)
        return active_spec(session, "peterborough")


def write(tmp_path: Path, body: str, name: str = "cash.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CashTransaction)) or 0


GOOD = """2010-10-01,capital_drawn,foundations,,,1000000.00,DRAW-1
2010-10-02,service_fee,,one-service,,900000.00,FEE-1
2010-12-31,cost,,,,1234.56,AUDIT-2010
2017-08-31,outcome_income,,moj,,5580000.00,MOJ-2017-Q3
"""


def test_a_good_file_is_stored_once(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, GOOD)
    with unit_of_work(engine) as session:
        summary = import_cash(session, "peterborough", peterborough, path, actor="t", now=now)
    assert (summary.new, summary.unchanged) == (4, 0)
    with unit_of_work(engine) as session:
        again = import_cash(session, "peterborough", peterborough, path, actor="t", now=now)
        flows = load_cash(session, "peterborough")
    assert (again.new, again.unchanged) == (0, 4)
    draw = flows[0]
    # the investor is taken from the tranche; a fee without a component is a fixed fee
    assert (draw.kind, draw.amount, draw.party) == (
        CashKind.CAPITAL_DRAWN,
        100_000_000,
        "social-impact-partnership",
    )
    assert flows[1].component == "fixed"
    assert flows[2].amount == 123_456


def test_every_bad_row_is_reported_and_nothing_is_stored(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    body = (
        GOOD
        + "2010-13-01,capital_drawn,foundations,,,10.00,BAD-DATE\n"
        + "2011-01-01,capital_drawn,seniors,,,10.00,BAD-TRANCHE\n"
        + "2011-01-01,outcome_income,,one-service,,10.00,BAD-PAYER\n"
        + "2011-01-01,distribution,foundations,,,10.00,NO-COMPONENT\n"
        + "2011-01-01,refund,,,,10.00,BAD-KIND\n"
        + "2011-01-01,cost,,,,10.001,TOO-PRECISE\n"
        + "2011-01-01,cost,,,,5.00,DRAW-1\n"
    )
    with pytest.raises(RejectedUpload) as raised, unit_of_work(engine) as session:
        import_cash(
            session, "peterborough", peterborough, write(tmp_path, body), actor="t", now=now
        )
    places = [(e.row, e.column) for e in raised.value.errors]
    assert places == [
        (6, "date"),
        (7, "tranche"),
        (8, "party"),
        (9, "component"),
        (10, "kind"),
        (11, "amount"),
        (12, "reference"),
    ]
    with unit_of_work(engine) as session:
        assert count(session) == 0


def test_a_stored_reference_with_other_content_is_a_conflict(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    with unit_of_work(engine) as session:
        import_cash(
            session, "peterborough", peterborough, write(tmp_path, GOOD), actor="t", now=now
        )
    changed = GOOD.replace("1000000.00,DRAW-1", "1000001.00,DRAW-1")
    with pytest.raises(RejectedUpload) as raised, unit_of_work(engine) as session:
        import_cash(
            session, "peterborough", peterborough, write(tmp_path, changed), actor="t", now=now
        )
    (error,) = raised.value.errors
    assert (error.row, error.column) == (2, "reference") and "amount" in error.message


def test_distribution_pays_the_cash_on_hand_once(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    with unit_of_work(engine) as session:
        import_cash(
            session, "peterborough", peterborough, write(tmp_path, GOOD), actor="t", now=now
        )
    on = date(2017, 9, 30)
    with unit_of_work(engine) as session:
        done = distribute(session, "peterborough", peterborough, on, actor="t", now=now)
    # in: 1,000,000.00 + 5,580,000.00; out: 900,000.00 + 1,234.56 -> 5,678,765.44 on hand
    assert done.waterfall.cash == 567_876_544
    assert done.waterfall.to_tranche("foundations", "capital") == 100_000_000
    assert done.waterfall.paid + done.waterfall.retained == done.waterfall.cash
    with unit_of_work(engine) as session:
        again = distribute(session, "peterborough", peterborough, on, actor="t", now=now)
        stored = [f for f in load_cash(session, "peterborough") if f.kind is CashKind.DISTRIBUTION]
    assert again.transactions == () and again.waterfall.cash == done.waterfall.retained
    assert sum(f.amount for f in stored) == done.waterfall.paid


def test_values_recorded_by_a_service_are_checked_like_a_file(
    engine: Engine, peterborough: ActiveSpec, now: datetime
) -> None:
    flows = [
        CashFlow(date(2017, 8, 31), CashKind.OUTCOME_INCOME, 100, party="moj", reference="R1"),
        CashFlow(date(2017, 8, 31), CashKind.OUTCOME_INCOME, 100, party="nobody", reference="R2"),
    ]
    with pytest.raises(RejectedUpload) as raised, unit_of_work(engine) as session:
        record_cash(session, "peterborough", peterborough, flows, actor="t", now=now)
    assert [(e.file, e.row, e.column) for e in raised.value.errors] == [("api", 2, "party")]


def test_a_contract_without_an_investment_section_is_told_what_to_do(
    engine: Engine, active: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    with pytest.raises(NoInvestment, match="investment"), unit_of_work(engine) as session:
        import_cash(session, "dwp-test", active, write(tmp_path, GOOD), actor="t", now=now)
