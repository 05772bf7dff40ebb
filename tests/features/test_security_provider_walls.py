"""Steps for features/security/provider_walls.feature: two providers over the HTTP API, each
with its own token, on both database backends (the API fixtures of tests/api/conftest.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine, select
from sqlmodel import col

from api.app import create_app
from contract_specs.model import Role
from ledger.services.enrolment import COLUMNS as PEOPLE_COLUMNS
from ledger.services.evidence import COLUMNS as EVIDENCE_COLUMNS
from ledger.storage.db import unit_of_work
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import Participant
from ledger.storage.tokens import create_token
from tests.api.conftest import LITESTAR_DEPRECATIONS, OWN, bearer, load_world

pytestmark = [pytest.mark.usefixtures("client"), pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS)]

scenarios("security/provider_walls.feature")

BASE = f"/api/contracts/{OWN}"
PROVIDERS = {"Acme": "acme", "Bravo": "bravo"}


@dataclass
class Providers:
    """Each provider's headers, and the answers each was given, in order."""

    headers: dict[str, dict[str, str]]
    answers: list[Any] = field(default_factory=list)


@pytest.fixture
def providers(engine: Engine, now: datetime) -> Providers:
    secrets = load_world(engine, now)
    with unit_of_work(engine) as session:
        bravo = create_token(session, "provider", "bravo", OWN, actor="test", now=now).secret
    return Providers({"Acme": bearer(secrets[Role.PROVIDER]), "Bravo": bearer(bravo)})


@pytest.fixture
def client(engine: Engine, providers: Providers) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def _file(columns: tuple[str, ...], values: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([values.get(c, "") for c in columns])
    return out.getvalue().encode()


def _enrol(client: TestClient[Litestar], who: Providers, name: str, pid: str, born: str) -> Any:
    row = {"participant_id": pid, "cohort": "c1", "provider": PROVIDERS[name],
           "start_date": "2015-02-01", "date_of_birth": born}  # fmt: skip
    answer = client.post(
        f"{BASE}/participants/upload",
        headers=who.headers[name],
        files={"file": ("clients.csv", _file((*PEOPLE_COLUMNS, "date_of_birth"), row))},
    )
    who.answers.append(answer)
    return answer


def _evidence(
    client: TestClient[Litestar], who: Providers, name: str, eid: str, pid: str, day: str
) -> Any:
    row = {"evidence_id": eid, "participant_id": pid, "metric": "job_entry",
           "achieved_on": day, "evidence_type": "payslip"}  # fmt: skip
    answer = client.post(
        f"{BASE}/evidence/upload",
        headers=who.headers[name],
        files={"file": ("casework.csv", _file(EVIDENCE_COLUMNS, row))},
    )
    who.answers.append(answer)
    return answer


@given(parsers.re(r"(?P<name>\w+) has enrolled its client (?P<pid>\w+)(, born (?P<born>[\d-]+))?$"))
def enrolled(
    client: TestClient[Litestar], providers: Providers, name: str, pid: str, born: str
) -> None:
    assert _enrol(client, providers, name, pid, born or "1996-01-01").status_code == 201
    providers.answers.clear()


@when(parsers.parse("{name} enrols its own client {pid}, born {born}"))
@when(parsers.parse("{name} enrols a client {pid}, born {born}"))
def enrols(
    client: TestClient[Litestar], providers: Providers, name: str, pid: str, born: str
) -> None:
    _enrol(client, providers, name, pid, born)


@when(parsers.parse("{name} uploads evidence that {pid} entered a job on {day}"))
def uploads_evidence(
    client: TestClient[Litestar], providers: Providers, name: str, pid: str, day: str
) -> None:
    _evidence(client, providers, name, "E1", pid, day)


@when(parsers.parse("{name} uploads evidence {eid} that {pid} entered a job on {day}"))
def uploads_evidence_id(
    client: TestClient[Litestar], providers: Providers, name: str, eid: str, pid: str, day: str
) -> None:
    _evidence(client, providers, name, eid, pid, day)


@when(parsers.parse("{name} asks why {pid} was paid"))
def asks_why(client: TestClient[Litestar], providers: Providers, name: str, pid: str) -> None:
    answer = client.get(f"{BASE}/participants/{pid}/explain", headers=providers.headers[name])
    providers.answers.append(answer)


@then(parsers.parse("{name}'s upload is accepted with {count:d} new row"))
def accepted(providers: Providers, name: str, count: int) -> None:
    answer = providers.answers[-1]
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"new": count, "unchanged": 0}


@then(parsers.parse("the contract holds two people called {pid}, one Acme's and one Bravo's"))
def two_people(engine: Engine, pid: str) -> None:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(col(Participant.participant_id), col(Participant.provider)).order_by(
                col(Participant.provider)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(f"acme/{pid}", "acme"), (f"bravo/{pid}", "bravo")]


@then(parsers.parse("{name} gets exactly the same answer both times"))
def same_answer(providers: Providers, name: str) -> None:
    first, second = providers.answers[-2:]
    assert (first.status_code, first.json()) == (second.status_code, second.json())


@then(parsers.parse("Acme's {pid} is still born {born}"))
def unchanged(engine: Engine, pid: str, born: str) -> None:
    with unit_of_work(engine) as session:
        person = session.scalars(
            select(Participant).where(col(Participant.participant_id) == f"acme/{pid}")
        ).one()
        opened = opened_attributes(session.connection(), person.contract_id, [f"acme/{pid}"])
    assert opened[f"acme/{pid}"]["date_of_birth"] == born


def _refused_at(answer: Any, row: int, column: str) -> str:
    assert answer.status_code == 422, answer.text
    details = answer.json()["error"]["details"]
    assert [(d["row"], d["column"]) for d in details] == [(row, column)]
    return str(details[0]["message"])


@then(parsers.parse("it is refused at row {row:d} because the client is not one of Bravo's"))
def not_bravos(providers: Providers, row: int) -> None:
    message = _refused_at(providers.answers[-1], row, "participant_id")
    assert message == "is not one of your enrolled participants: enrol the participant first"


@then(parsers.parse("it is refused at row {row:d} because the participant_id starts with '='"))
def formula_refused(providers: Providers, row: int) -> None:
    message = _refused_at(providers.answers[-1], row, "participant_id")
    assert message.startswith("starts with '=', which a spreadsheet reads as a formula")


@then("both are not found, in the same words but for the id")
def both_not_found(providers: Providers) -> None:
    theirs, nobody = providers.answers[-2:]
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.text.replace("'P1'", "'Z9'") == nobody.text


@then(parsers.parse("Acme asking why {pid} was paid is told about {pid}"))
def acme_is_told(client: TestClient[Litestar], providers: Providers, pid: str) -> None:
    answer = client.get(f"{BASE}/participants/{pid}/explain", headers=providers.headers["Acme"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["participant_id"] == pid
