"""Steps for features/ledger/consent.feature: the real CLI on a real database (both backends),
its clock set by each step, as a provider working through the year would see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine, MetaData, func, select

from api.cli import common, main
from ledger.domain.entitlement import compute_entitlement
from ledger.services.contracts import active_spec
from ledger.services.facts import load_facts
from ledger.storage.db import reading
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import Participant, Posting, table_of
from reporting import sources
from reporting.provider import provider_report

# requested up front so that every scenario runs once per database backend
pytestmark = pytest.mark.usefixtures("year")

scenarios("ledger/consent.feature")

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "rules-boundaries.yaml"
CONTRACT = "rules-boundaries"
PEOPLE = "participant_id,cohort,provider,start_date"
EVIDENCE = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference"


@dataclass
class Year:
    """The scenario's database, files and clock (the CLI's `now`)."""

    engine: Engine
    folder: Path
    at: datetime = datetime(2020, 3, 1, 9, 0, tzinfo=UTC)
    files: int = 0
    born: dict[str, str] = field(default_factory=dict)
    paid_before: list[dict[str, Any]] = field(default_factory=list)
    last: Any = None

    def on(self, day: str) -> None:
        self.at = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)

    def file(self, text: str) -> str:
        self.files += 1
        path = self.folder / f"upload-{self.files}.csv"
        path.write_text(text)
        return str(path)

    def run(self, *args: str) -> Any:
        self.last = CliRunner().invoke(main, list(args))
        if self.last.exception and not isinstance(self.last.exception, SystemExit):
            raise self.last.exception
        return self.last


@pytest.fixture
def year(cli_env: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Year:
    found = Year(engine, tmp_path)
    monkeypatch.setattr(common, "now", lambda: found.at)
    return found


def _postings(engine: Engine) -> list[dict[str, Any]]:
    table = table_of(Posting)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(table).order_by(table.c.id)).mappings()]


@given("the synthetic boundaries contract, which needs consent to be paid for outcomes")
def contract(year: Year) -> None:
    assert year.run("contract", "load", str(SPEC)).exit_code == 0


@given("Acme enrols these people, with what each agreed to:")
def enrol(year: Year, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    lines = [f"{PEOPLE},{','.join(header[2:])}"]
    at = header.index("date_of_birth")
    for row in rows:
        lines.append(",".join([row[0], "main", "acme", row[1], *row[2:]]))
        year.born[row[0]] = row[at]
    done = year.run("participants", "import", CONTRACT, year.file("\n".join(lines) + "\n"))
    assert done.exit_code == 0, done.output + done.stderr


@when(parsers.parse("Acme tries to enrol {pid}, who did not agree to payment_by_results"))
def enrol_without(year: Year, pid: str) -> None:
    text = (
        f"{PEOPLE},date_of_birth,payment_by_results,what_works_for_whom\n"
        f"{pid},main,acme,2020-02-03,2001-01-01,false,true\n"
    )
    year.run("participants", "import", CONTRACT, year.file(text))


@then(parsers.parse("the file is refused at row {row:d}, in the column {column}"))
def refused(year: Year, row: int, column: str) -> None:
    assert year.last.exit_code == 1
    assert f".csv:{row}: {column}: is false: this consent is needed to enrol" in year.last.stderr


@then("nobody new is enrolled")
def nobody_new(year: Year) -> None:
    with year.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table_of(Participant)))
        assert count.scalar_one() == len(year.born)


@given(parsers.parse("on {day} Acme sends this evidence and it is verified:"))
@when(parsers.parse("on {day} Acme sends this evidence and it is verified:"))
def evidence(year: Year, day: str, datatable: list[list[str]]) -> None:
    year.on(day)
    _, *rows = datatable
    text = EVIDENCE + "\n" + "".join(f"{e},{p},{m},{d},,,\n" for e, p, m, d in rows)
    assert year.run("evidence", "import", CONTRACT, year.file(text)).exit_code == 0
    decisions = "evidence_id,decision,reason\n" + "".join(f"{r[0]},verified,\n" for r in rows)
    assert year.run("evidence", "verify", CONTRACT, year.file(decisions)).exit_code == 0


@given(parsers.parse("on {day} the quarter {period} is reconciled"))
@when(parsers.parse("on {day} the quarter {period} is reconciled"))
def reconciled(year: Year, day: str, period: str) -> None:
    year.on(day)
    done = year.run("reconcile", CONTRACT, "--period", period)
    assert done.exit_code == 0, done.output + done.stderr


@when(parsers.parse("on {day} Acme records that {pid} withdrew their consent that day"))
def withdraw(year: Year, day: str, pid: str) -> None:
    year.paid_before = _postings(year.engine)
    year.on(day)
    text = f"participant_id,withdrawn_on\n{pid},{day}\n"
    done = year.run("participants", "withdraw", CONTRACT, year.file(text))
    assert done.exit_code == 0, done.output + done.stderr


@then(parsers.parse("{pid} has been paid {amount} in all, and every earlier posting is as it was"))
def paid(year: Year, pid: str, amount: str) -> None:
    now = _postings(year.engine)
    assert now[: len(year.paid_before)] == year.paid_before
    total = sum(p["amount"] for p in now if p["participant_id"] == f"acme/{pid}")
    assert Decimal(total) / 100 == Decimal(amount)


@then(parsers.parse('evidence {first} and {second} are not paid because "{reason}"'))
def not_paid(year: Year, first: str, second: str, reason: str) -> None:
    with reading(year.engine) as session:
        facts = load_facts(session, CONTRACT, year.at)
        spec = active_spec(session, CONTRACT).spec
        unpaid = compute_entitlement(spec, facts).not_payable
    reasons = dict(zip(unpaid["evidence_id"], unpaid["reason"], strict=True))
    assert reasons[f"acme/{first}"] == reason and reasons[f"acme/{second}"] == reason


@then(parsers.parse("nobody can read {pid}'s date of birth any more"))
def erased(year: Year, pid: str) -> None:
    with year.engine.connect() as connection:
        assert f"acme/{pid}" not in opened_attributes(connection, CONTRACT)
    tables = MetaData()
    tables.reflect(year.engine)
    with year.engine.connect() as connection:
        for table in tables.tables.values():
            for row in connection.execute(select(table)):
                for value in row:
                    shown = (
                        bytes(value).decode("latin-1")
                        if isinstance(value, bytes | memoryview)
                        else str(value)
                    )
                    assert year.born[pid] not in shown, table.name


@then("the audit trail still verifies")
def audit(year: Year) -> None:
    assert year.run("audit", "verify").exit_code == 0


@then(parsers.parse('the provider\'s report for {period} says "{words}"'))
def report_says(year: Year, period: str, words: str) -> None:
    year.on("2021-01-05")
    with reading(year.engine) as session:
        report = provider_report(session, CONTRACT, period, "acme")
    cover = dict(report.cover)
    assert words in cover["Withdrawals"]
    year.last = report


@then("the report names nobody as withdrawn")
def names_nobody(year: Year) -> None:
    report = year.last
    for table in report.tables:
        text = table.frame.astype(str).to_csv()
        assert "withdr" not in text.lower(), table.name


@then("neither P1, who withdrew, nor P2, who did not agree, is counted in what works for whom")
def not_in_segments(year: Year) -> None:
    with reading(year.engine) as session:
        people = sources.participants(
            session,
            CONTRACT,
            year.at,
            "acme",
            active_spec(session, CONTRACT).spec,
        )
    assert dict(zip(people["participant_id"], people["in_segments"], strict=True)) == {
        "acme/P1": False,
        "acme/P2": False,
    }
