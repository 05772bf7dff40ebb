"""An API over a real, migrated database (SQLite, and PostgreSQL when configured) with two
contracts: `dwp-test`, whose parties hold one token per role, and `rival`, whose parties are
all different, so every token can be tried against a contract that is not its party's."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import ContractSpec, Party, Role
from ledger.services.contracts import register_spec, remember
from ledger.storage.db import unit_of_work
from ledger.storage.tokens import create_token
from tests.conftest import UPLOADS, small_spec

__all__ = [
    "OWN",
    "RIVAL",
    "UPLOADS",
    "bearer",
    "load_version",
    "own_spec",
    "rival_spec",
    "token_for",
]

OWN = "dwp-test"
RIVAL = "rival"
LITESTAR_DEPRECATIONS = "error::litestar.exceptions.LitestarDeprecationWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Litestar 2.22+ deprecations must fail the API tests, not scroll past as warnings
    for item in items:
        if "tests/api/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS))


def own_spec() -> ContractSpec:
    """The small spec with an evaluator and a second provider among its parties."""
    spec = small_spec()
    parties = (
        *spec.parties,
        Party("uni", Role.EVALUATOR, "University"),
        Party("bravo", Role.PROVIDER, "Bravo Services"),
        # also a commissioner of `rival`: for tokens limited to one contract
        Party("council", Role.COMMISSIONER, "Council"),
    )
    return dataclasses.replace(spec, parties=parties, content_hash="api-own")


def rival_spec() -> ContractSpec:
    """Another contract whose parties share no id with dwp-test's."""
    spec = small_spec()
    return dataclasses.replace(
        spec,
        contract=dataclasses.replace(spec.contract, id=RIVAL, name="Rival contract"),
        parties=(
            Party("council", Role.COMMISSIONER, "Council"),
            Party("beta", Role.PROVIDER, "Beta"),
            Party("bank", Role.INVESTOR, "Bank"),
            Party("boss", Role.INTERMEDIARY, "Other manager"),
            Party("eval2", Role.EVALUATOR, "Other evaluator"),
        ),
        content_hash="api-rival",
    )


# the party of dwp-test that holds each role's token
PARTY_OF = {
    Role.INTERMEDIARY: "manager",
    Role.COMMISSIONER: "dwp",
    Role.INVESTOR: "fund",
    Role.PROVIDER: "acme",
    Role.EVALUATOR: "uni",
}


def load_world(engine: Engine, now: datetime) -> dict[Role, str]:
    """Both contracts loaded, and one token secret per role for dwp-test's parties."""
    secrets: dict[Role, str] = {}
    with unit_of_work(engine) as session:
        for spec in (own_spec(), rival_spec()):
            register_spec(session, spec, {"test_spec": spec.contract.id}, actor="test", now=now)
            remember(spec)
        for role, party in PARTY_OF.items():
            secrets[role] = create_token(
                session, role.value, party, OWN, actor="test", now=now
            ).secret
    return secrets


@pytest.fixture
def world(engine: Engine, now: datetime) -> dict[Role, str]:
    """Both contracts loaded, and one token secret per role for dwp-test's parties."""
    return load_world(engine, now)


@pytest.fixture
def client(engine: Engine, world: dict[Role, str]) -> Iterator[TestClient[Litestar]]:
    """A test client of the app on the test database."""
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for a token secret."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_role(world: dict[Role, str]) -> dict[Role, dict[str, str]]:
    """Authorization headers per role (dwp-test's parties)."""
    return {role: bearer(secret) for role, secret in world.items()}


def token_for(
    client: TestClient[Litestar], role: Role, party: str, contracts: str | Sequence[str] = OWN
) -> dict[str, str]:
    """Headers of a fresh token for `party` acting as `role` in `contracts` (default: OWN)."""
    engine = client.app.state.engine
    with unit_of_work(engine) as session:
        made = create_token(
            session, role.value, party, contracts, actor="test", now=datetime.now(UTC)
        )
    return bearer(made.secret)


def load_version(client: TestClient[Litestar], spec: ContractSpec, *, active: bool = True) -> int:
    """Register `spec` (typed, known to the parse cache) as its contract's next version, in
    force unless `active` is False; its version number."""
    remember(spec)
    with unit_of_work(client.app.state.engine) as session:
        done = register_spec(
            session, spec, {"test_spec": spec.content_hash}, actor="test", now=datetime.now(UTC),
            active=active,
        )  # fmt: skip
    return done.version


PEOPLE = [
    {
        "participant_id": "P1",
        "cohort": "c1",
        "provider": "acme",
        "start_date": "2015-02-01",
        "date_of_birth": "1995-06-01",
    },
    {
        "participant_id": "B1",
        "cohort": "c1",
        "provider": "bravo",
        "start_date": "2015-02-01",
        "date_of_birth": "1995-06-01",
    },
]
EVIDENCE = [
    {
        "evidence_id": "E1",
        "participant_id": "P1",
        "metric": "job_entry",
        "achieved_on": "2015-03-01",
        "evidence_type": "payslip",
    },
    {"evidence_id": "E9", "participant_id": "B1", "metric": "nqf2", "achieved_on": "2015-05-01"},
]


def verified_outcomes(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    """Acme's P1 enters a job (3,500) and Bravo's B1 gains a level 2 (3,300), both verified:
    split 80/20 between dwp and topup."""
    manager = as_role[Role.INTERMEDIARY]
    for what, rows in (
        ("participants", PEOPLE),
        ("evidence", EVIDENCE),
        ("verifications", [{"evidence_id": e, "decision": "verified"} for e in ("E1", "E9")]),
    ):
        answer = client.post(f"/api/contracts/{OWN}/{what}", headers=manager, json={"rows": rows})
        assert answer.status_code == 201, answer.text
