"""Steps for features/api: the users' journeys through the HTTP API, each with its own token.

The API fixtures (two contracts, one token per role) come from tests/api/conftest.py, so each
scenario runs once per database backend, and Litestar deprecations fail it like any API test.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import Role
from ledger.services.contracts import load_spec_file
from ledger.services.evidence import COLUMNS as EVIDENCE_COLUMNS
from ledger.storage.db import unit_of_work
from ledger.storage.tokens import create_token
from tests.api.conftest import LITESTAR_DEPRECATIONS, OWN, PEOPLE, bearer

pytestmark = [pytest.mark.usefixtures("client"), pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS)]

scenarios("api")

PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"


@dataclass
class Journey:
    """What the scenario's users did and were answered."""

    answer: Any = None
    sent: bytes = b""  # the file of the last upload, as it left the provider's case system
    progress: dict[str, Any] = field(default_factory=dict)
    download: Any = None
    investor_headers: dict[Role, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def journey() -> Journey:
    return Journey()


@pytest.fixture
def investors(engine: Engine) -> Iterator[TestClient[Litestar]]:
    """A client of the app for the Peterborough scenarios (their own contract and tokens)."""
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def _post(
    client: TestClient[Litestar], headers: dict[str, str], what: str, rows: list[dict[str, Any]]
) -> Any:
    answer = client.post(f"/api/contracts/{OWN}/{what}", headers=headers, json={"rows": rows})
    assert answer.status_code == 201, answer.text
    return answer


def _evidence_file(participant: str, day: str, kind: str) -> bytes:
    values = {"evidence_id": "E1", "participant_id": participant, "metric": "job_entry",
              "achieved_on": day, "evidence_type": kind}  # fmt: skip
    header = ",".join(EVIDENCE_COLUMNS)
    return f"{header}\n{','.join(values.get(c, '') for c in EVIDENCE_COLUMNS)}\n".encode()


def _upload(
    client: TestClient[Litestar], headers: dict[str, str], body: bytes, journey: Journey
) -> None:
    journey.sent = body
    journey.answer = client.post(
        f"/api/contracts/{OWN}/evidence/upload",
        headers=headers,
        files={"file": ("casework-export.csv", body)},
    )


# --- providers --------------------------------------------------------------------------------


@given("the intermediary has enrolled Acme's participant P1 and Bravo's participant B1")
def enrolled(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    _post(client, as_role[Role.INTERMEDIARY], "participants", PEOPLE)


@when(
    parsers.parse(
        "Acme uploads a file of evidence that {participant} entered a job on {day} with a {kind}"
    )
)
def acme_uploads(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    journey: Journey,
    participant: str,
    day: str,
    kind: str,
) -> None:
    _upload(client, as_role[Role.PROVIDER], _evidence_file(participant, day, kind), journey)


@when("Acme uploads an evidence file with a header and no rows")
def acme_uploads_nothing(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], journey: Journey
) -> None:
    _upload(client, as_role[Role.PROVIDER], (",".join(EVIDENCE_COLUMNS) + "\n").encode(), journey)


@then(parsers.parse("the upload is accepted with {count:d} new row"))
def accepted(journey: Journey, count: int) -> None:
    assert journey.answer.status_code == 201, journey.answer.text
    assert journey.answer.json()["new"] == count


def _refused_at(journey: Journey, row: int) -> str:
    assert journey.answer.status_code == 422, journey.answer.text
    details = journey.answer.json()["error"]["details"]
    assert [d["row"] for d in details] == [row]
    return str(details[0]["message"])


@then(parsers.parse("the upload is refused at row {row:d} because the file has no rows"))
def refused_empty(journey: Journey, row: int) -> None:
    assert "no rows" in _refused_at(journey, row)


@then(
    parsers.parse(
        "the upload is refused at row {row:d} because {participant} is not one of Acme's "
        "participants"
    )
)
def refused_other(journey: Journey, row: int, participant: str) -> None:
    assert "not one of your enrolled participants" in _refused_at(journey, row)
    (detail,) = journey.answer.json()["error"]["details"]
    assert detail["column"] == "participant_id"
    # the row refused is the one that names `participant` in the file Acme sent (row 1: header)
    sent = list(csv.DictReader(io.StringIO(journey.sent.decode())))
    assert sent[row - 2]["participant_id"] == participant


@when(parsers.parse("the intermediary verifies the evidence and reconciles {period}"))
def verified_and_reconciled(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], period: str
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    _post(client, manager, "verifications", [{"evidence_id": "E1", "decision": "verified"}])
    reconciled(client, as_role, period)


@when(parsers.parse("Acme asks for its progress in {period}"))
def acme_progress(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], journey: Journey, period: str
) -> None:
    answer = client.get(
        f"/api/contracts/{OWN}/progress", headers=as_role[Role.PROVIDER], params={"period": period}
    )
    assert answer.status_code == 200, answer.text
    journey.progress = answer.json()


def _people(progress: dict[str, Any]) -> set[str]:
    return {
        str(row["participant_id"])
        for rows in progress["tables"].values()
        for row in rows
        if "participant_id" in row
    }


@then(parsers.parse("Acme's progress names {participant}"))
def progress_shows(journey: Journey, participant: str) -> None:
    assert participant in _people(journey.progress)


@then("none of Bravo's participants appear in it")
def progress_hides(journey: Journey) -> None:
    bravo = {p["participant_id"] for p in PEOPLE if p["provider"] == "bravo"}
    named = _people(journey.progress)
    # neither Bravo's own ids nor any ledger key (provider/id): Acme reads its own ids only
    assert bravo and not (named & bravo) and not any("/" in p for p in named)


# --- commissioners ----------------------------------------------------------------------------


@given(parsers.parse("Acme's participant P1 entered a job on {day}, verified"))
def p1_verified(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], day: str
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    _post(client, manager, "participants", PEOPLE[:1])
    row = {"evidence_id": "E1", "participant_id": "P1", "metric": "job_entry",
           "achieved_on": day, "evidence_type": "payslip"}  # fmt: skip
    _post(client, manager, "evidence", [row])
    _post(client, manager, "verifications", [{"evidence_id": "E1", "decision": "verified"}])


@given(parsers.parse("the intermediary has reconciled {period}"))
def reconciled(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], period: str
) -> None:
    answer = client.post(
        f"/api/contracts/{OWN}/reconciliations",
        headers=as_role[Role.INTERMEDIARY],
        json={"period": period},
    )
    assert answer.status_code == 201, answer.text


@when(parsers.parse("the department downloads its payment report for {period} as a spreadsheet"))
def department_downloads(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], journey: Journey, period: str
) -> None:
    journey.download = client.get(
        f"/api/contracts/{OWN}/reports/commissioner",
        headers=as_role[Role.COMMISSIONER],
        params={"period": period, "format": "xlsx"},
    )
    assert journey.download.status_code == 200, journey.download.text


@then(parsers.parse('the file is called "{name}"'))
def file_called(journey: Journey, name: str) -> None:
    assert journey.download.headers["content-disposition"] == f'attachment; filename="{name}"'


@then(parsers.parse("its payment lines add up to {total}"))
def lines_add_up(journey: Journey, total: str) -> None:
    book = load_workbook(io.BytesIO(journey.download.content), read_only=True)
    found = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        for number, row in enumerate(rows):
            if "participant_id" in row and "amount" in row:
                at = row.index("amount")
                found.append(sum(Decimal(str(r[at])) for r in rows[number + 1 :] if r[at]))
                break
    assert found and found[0] == Decimal(total)


@then("the department cannot download the top-up fund's report")
def not_the_top_up(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    answer = client.get(
        f"/api/contracts/{OWN}/reports/commissioner",
        headers=as_role[Role.COMMISSIONER],
        params={"period": "2015-Q1", "payer": "topup"},
    )
    assert answer.status_code == 404


# --- investors --------------------------------------------------------------------------------


@given("the Peterborough contract is in force")
def peterborough(engine: Engine, journey: Journey) -> None:
    at = datetime(2016, 1, 1, tzinfo=UTC)
    with unit_of_work(engine) as session:
        load_spec_file(session, PETERBOROUGH, actor="test", now=at)
        for role, party in (
            (Role.INTERMEDIARY, "social-finance"),
            (Role.INVESTOR, "social-impact-partnership"),
        ):
            made = create_token(session, role.value, party, "peterborough", actor="t", now=at)
            journey.investor_headers[role] = bearer(made.secret)


@given("the intermediary records these cash transactions:")
def cash_recorded(
    investors: TestClient[Litestar], journey: Journey, datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    answer = investors.post(
        "/api/contracts/peterborough/cash",
        headers=journey.investor_headers[Role.INTERMEDIARY],
        json={"rows": [dict(zip(header, row, strict=True)) for row in rows]},
    )
    assert answer.status_code == 201, answer.text


@when(parsers.parse("the foundations read their returns on {day}"))
def read_returns(investors: TestClient[Litestar], journey: Journey, day: str) -> None:
    answer = investors.get(
        "/api/contracts/peterborough/returns",
        headers=journey.investor_headers[Role.INVESTOR],
        params={"on": day},
    )
    assert answer.status_code == 200, answer.text
    (journey.answer,) = [r for r in answer.json() if r["subject"] == "foundations"]


@then(parsers.parse("they have drawn {drawn} and had {back} of capital back"))
def drawn_and_back(journey: Journey, drawn: str, back: str) -> None:
    assert (journey.answer["drawn"], journey.answer["capital_returned"]) == (drawn, back)


@then(parsers.parse("{amount} of their capital is still outstanding"))
def outstanding(journey: Journey, amount: str) -> None:
    assert journey.answer["capital_outstanding"] == amount


@then("their return so far is negative")
def negative(journey: Journey) -> None:
    assert Decimal(journey.answer["gain"]) < 0
    assert Decimal(journey.answer["irr_percent"]) < 0
