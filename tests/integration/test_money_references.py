"""Money references (a remittance's, a cash transaction's) are plain text of bounded size, and a
file's problems are told in one pass (issue 13, findings 5 and 6), on SQLite and PostgreSQL.

A reference is letters, digits, spaces and payment punctuation: a bank's `Q1 2015 / PB-1`
and the ledger's own `distribution:...` are references; a formula, markup or a control
character is refused at file, row and column, with the rule. A control character in one row
does not hide another row's bad amount; a missing column is named, with what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ledger.domain.errors import RejectedUpload
from ledger.services.cash import REFERENCE_MAX as CASH_MAX
from ledger.services.cash import import_cash
from ledger.services.contracts import ActiveSpec, active_spec, load_spec_file
from ledger.storage.db import unit_of_work
from ledger.storage.tables import CashTransaction
from reconciliation.remittances import REFERENCE_MAX as REMITTANCE_MAX
from reconciliation.remittances import import_remittances, load_remittances

NOW = datetime(2015, 8, 1, tzinfo=UTC)
PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
REMITTANCES = "payer,amount,date,reference\n"
CASH = "date,kind,tranche,party,component,amount,reference\n"
RULE = "a reference holds letters, digits, spaces and the punctuation / - ? : ( ) . , ' + _ # & ;"
NOT_HELD = f"which a reference may not hold: {RULE}"


def remit(engine: Engine, active: ActiveSpec, path: Path) -> str:
    with unit_of_work(engine) as session:
        done = import_remittances(session, "dwp-test", active.spec, path, actor="f", now=NOW)
    return str(done)


def file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_bank_and_ledger_style_references_are_accepted(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    path = file(
        tmp_path,
        "bank.csv",
        REMITTANCES
        + "dwp,2800.00,2015-07-20,Q1 2015 / DWP-TEST-2015-Q2-DWP-1\n"
        + "dwp,10.00,2015-07-21,distribution:2015-12-31:ab12cd34ef56:1\n"
        + "topup,-1.00,2015-07-22,Rückzahlung (refund) #7 & co; ok?\n"
        + "topup,2.00,2015-07-23,\n",  # a payment that came without a reference
    )
    assert remit(engine, active, path) == "4 new, 0 unchanged"


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        (
            '=HYPERLINK("http://evil.example","x")',
            f"contains '=', which a reference may not hold: {RULE}",
        ),
        ("<b>paid</b>", f"contains '<', {NOT_HELD}"),
        ("@SUM(A1)", f"contains '@', {NOT_HELD}"),
        ("x" * (REMITTANCE_MAX + 1), f"is too long: at most {REMITTANCE_MAX} characters"),
    ],
    ids=["formula", "markup", "at-sign", "too-long"],
)
def test_a_remittance_reference_outside_the_rule_is_refused_at_its_row(
    engine: Engine, active: ActiveSpec, tmp_path: Path, reference: str, said: str
) -> None:
    cell = '"' + reference.replace('"', '""') + '"'
    path = file(tmp_path, "bank.csv", REMITTANCES + f"dwp,2800.00,2015-07-20,{cell}\n")
    with pytest.raises(RejectedUpload) as refused:
        remit(engine, active, path)
    assert refused.value.lines() == [f"bank.csv:2: reference: {said}"]
    with unit_of_work(engine) as session:
        assert load_remittances(session, "dwp-test") == []


def test_a_control_character_does_not_hide_the_files_other_problems(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    """One pass: the bell in row 2's reference, row 3's amount and row 4's payer, all told,
    the bell once (by reading, not again by the reference rule)."""
    path = file(
        tmp_path,
        "bank.csv",
        REMITTANCES
        + "dwp,2800.00,2015-07-20,PAY\x07MENT\n"
        + "dwp,12.345,2015-07-20,A\n"
        + "nobody,1.00,2015-07-20,B\n",
    )
    with pytest.raises(RejectedUpload) as refused:
        remit(engine, active, path)
    assert refused.value.lines() == [
        "bank.csv:2: reference: contains a control character (U+0007): remove it",
        "bank.csv:3: amount: has more than the currency's 2 decimals: round it",
        "bank.csv:4: payer: is not an outcome payer of this contract: use one of dwp, topup",
    ]
    assert str(refused.value).endswith("Fix every row listed and import the whole file again.")


def test_a_missing_column_is_named_with_what_to_do(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    path = file(tmp_path, "bank.csv", "payer,reference\ndwp,A\n")
    with pytest.raises(RejectedUpload) as refused:
        remit(engine, active, path)
    assert refused.value.lines() == [
        "bank.csv:1: amount: required column is missing: add it to the header row (row 1)",
        "bank.csv:1: date: required column is missing: add it to the header row (row 1)",
    ]
    assert str(refused.value) == (
        "2 problem(s); nothing was stored. The header (row 1) has no column amount, date: "
        "add them and import the whole file again."
    )


@pytest.fixture
def peterborough(engine: Engine, now: datetime) -> ActiveSpec:
    with unit_of_work(engine) as session:
        load_spec_file(session, PETERBOROUGH, actor="t", now=now)
        return active_spec(session, "peterborough")


def cash(engine: Engine, active: ActiveSpec, path: Path, now: datetime) -> str:
    with unit_of_work(engine) as session:
        return str(import_cash(session, "peterborough", active, path, actor="t", now=now))


def stored_cash(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(CashTransaction)) or 0


def test_a_cash_reference_longer_than_its_column_is_refused_not_a_server_error(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    """PostgreSQL holds a cash reference in a column of CASH_MAX characters: a longer one was a
    database error (500) after the file passed every check; now it is a row error, on both."""
    longest = "R" * CASH_MAX
    ok = file(tmp_path, "ok.csv", CASH + f"2010-10-01,cost,,,,1.00,{longest}\n")
    assert cash(engine, peterborough, ok, now) == "1 new, 0 unchanged"
    over = file(tmp_path, "over.csv", CASH + f"2010-10-01,cost,,,,1.00,{longest}R\n")
    with pytest.raises(RejectedUpload) as refused:
        cash(engine, peterborough, over, now)
    assert refused.value.lines() == [
        f"over.csv:2: reference: is too long: at most {CASH_MAX} characters"
    ]
    assert stored_cash(engine) == 1


def test_a_cash_reference_with_a_formula_is_refused_and_the_ledgers_own_pass(
    engine: Engine, peterborough: ActiveSpec, tmp_path: Path, now: datetime
) -> None:
    path = file(
        tmp_path,
        "cash.csv",
        CASH
        + "2010-10-01,cost,,,,1.00,AUDIT 2010 / invoice 7\n"
        + "2010-10-02,cost,,,,1.00,+cmd|' /C calc'!A0\n",
    )
    with pytest.raises(RejectedUpload) as refused:
        cash(engine, peterborough, path, now)
    assert refused.value.lines() == [
        f"cash.csv:3: reference: contains '|', which a reference may not hold: {RULE}"
    ]
    assert stored_cash(engine) == 0
