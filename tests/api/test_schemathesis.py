"""The OpenAPI document is the contract: Schemathesis calls every operation it documents, as
every role and with no token, on a demo ledger with real data, and checks each answer against
the document: no 5xx, a documented status code, a documented media type, a body that matches
the documented schema (formats included, so a time without a UTC offset fails).

The operations come from the app's own document (the one docs/openapi.json is kept equal to),
so a route or parameter added later is tested without touching this file. Path and query
parameters that name things (a contract, a run, a participant, a period) are narrowed to names
the demo ledger holds, so the routes answer 200 with bodies; Schemathesis's negative cases still
send anything else. Examples are few per operation and derandomized: the same cases every run.

Writes run against the shared ledger too, which covers their input validation (a bad body is
a 4xx, never a 5xx): what Schemathesis can send them (random rows and files, random specs,
periods already closed) is refused, or changes nothing (activating the version already in
force), so every case reads the demo's ledger; the fixture checks at the end that no fact,
posting or run was added. A line under the run gives the calls made and their statuses.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, func, select
from sqlmodel import col

from api.app import create_app
from api.cli.serve_cmds import openapi_document
from api.demo import DEMO_CONTRACT, build_demo, demo_tokens
from contract_specs.model import Role
from ledger.storage.db import make_engine, unit_of_work, upgrade
from ledger.storage.tables import Evidence, Participant, Posting, VerificationDecision
from reconciliation.tables import ReconcileRun
from tests.api.conftest import bearer

pytestmark = pytest.mark.slow  # about three minutes on two cores: run in `make test`

MAX_EXAMPLES = 10
PARTICIPANTS = 200
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# stand-ins the test swaps for names only the built ledger knows (run ids are random)
A_RUN = "a-run-of-the-demo"
A_PARTICIPANT = "a-participant-of-the-demo"
# names the demo ledger holds, per parameter; Schemathesis's positive cases pick among them
HINTS: dict[str, list[Any]] = {
    "contract_id": [DEMO_CONTRACT],
    "version": [1, 2],
    "other": [1, 2],
    "run_id": [A_RUN, "no-such-run"],
    "participant_id": [A_PARTICIPANT, "P999999"],
    "payer": ["dclg", "cabinet-office"],
    "provider": ["ambition"],
    "metric": ["job_entry", "no-such-metric"],
    "kind": ["outcome_payment", "adjustment"],
}
# a period to read, and (in a path: closing one) only periods already closed, so no case
# runs a reconciliation that changes what later cases read
PERIODS = {"query": ["2015-Q4", "2016-Q4"], "path": ["2015-Q1", "2015-Q2"]}
ROLES = [*Role, None]


def hinted(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the naming parameters narrowed to the demo ledger's names."""
    document = copy.deepcopy(document)
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                name, place = parameter["name"], parameter["in"]
                values = PERIODS.get(place) if name == "period" else HINTS.get(name)
                if values is None:
                    continue
                kind = "integer" if isinstance(values[0], int) else "string"
                parameter["schema"] = {"type": kind, "enum": values}
    return document


schema = schemathesis.openapi.from_dict(hinted(openapi_document()))
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")


@dataclass(frozen=True)
class Demo:
    app: Litestar
    headers: dict[Role | None, dict[str, str]]
    run_id: str
    participant_id: str
    # how many answers of each status class each operation gave (printed at the end)
    tally: Counter[tuple[str, str]] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Demo]:
    """The demo ledger (generated participants, eight quarters reconciled) on SQLite, one token
    per role, and the app on it."""
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    engine = make_engine(f"sqlite:///{folder / 'demo.sqlite'}")
    upgrade(engine)
    build_demo(engine, participants=PARTICIPANTS)
    tokens = demo_tokens(engine, datetime.now(UTC))
    with unit_of_work(engine) as session:
        run_id = session.scalars(select(col(ReconcileRun.run_id))).first()
        participant = session.scalars(select(col(Participant.participant_id))).first()
    assert run_id and participant
    headers: dict[Role | None, dict[str, str]] = {t.role: bearer(t.secret) for t in tokens}
    headers[None] = {}
    assert set(headers) == set(ROLES)
    before = _facts(engine)
    app = create_app(engine=engine)
    demo = Demo(app, headers, run_id, participant)
    try:
        yield demo
        # every later case read the demo's ledger: no case may have stored facts or postings
        assert _facts(engine) == before, "a generated write changed the shared ledger"
    finally:
        asgi.shutdown_lifespans()
        engine.dispose()
        _report(pytestconfig, demo.tally)


def _facts(engine: Engine) -> dict[str, int]:
    """How many rows each table of facts, postings and runs holds."""
    with unit_of_work(engine) as session:
        return {
            table.__name__: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Participant, Evidence, VerificationDecision, Posting, ReconcileRun)
        }


def _report(config: pytest.Config, tally: Counter[tuple[str, str]]) -> None:
    """One line under the test run: calls made, per status class, and operations seen 2xx."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if terminal is None or capture is None or not tally:
        return
    classes: Counter[str] = Counter()
    for (_, status), count in tally.items():
        classes[status] += count
    operations = {label for label, _ in tally}
    answered = {label for label, status in tally if status == "2xx"}
    with capture.global_and_fixture_disabled():
        terminal.write_line(
            f"\nschemathesis: {sum(classes.values())} calls over {len(operations)} operations "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(classes.items()))}); "
            f"{len(answered)} operations answered 2xx: {', '.join(sorted(answered))}"
        )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: "no-token" if r is None else r.value)
@schema.parametrize()
def test_every_answer_is_documented(case: Any, role: Role | None, demo: Demo) -> None:
    stand_ins = {A_RUN: demo.run_id, A_PARTICIPANT: demo.participant_id}
    for values in (case.path_parameters, case.query):
        for name, value in (values or {}).items():
            if isinstance(value, str) and value in stand_ins:
                values[name] = stand_ins[value]
    headers = dict(case.headers or {})
    headers.pop("Authorization", None)
    case.headers = {**headers, **demo.headers[role]}
    response = case.call(app=demo.app)
    if case.method.upper() == case.operation.method.upper():  # not a probe with another method
        demo.tally[(case.operation.label, f"{response.status_code // 100}xx")] += 1
    case.validate_response(response, checks=CHECKS)
