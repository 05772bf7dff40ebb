"""Fixtures the API features share: the API tests' world and a client of the app on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import Role
from tests.api.conftest import bearer, load_world


@pytest.fixture
def as_role(engine: Engine, now: datetime) -> dict[Role, dict[str, str]]:
    """The API tests' two contracts, and dwp-test's parties' headers per role."""
    return {role: bearer(secret) for role, secret in load_world(engine, now).items()}


@pytest.fixture
def client(engine: Engine, as_role: dict[Role, dict[str, str]]) -> Iterator[TestClient[Litestar]]:
    """A client of the app on the world's database."""
    with TestClient(create_app(engine=engine)) as test_client:
        yield test_client
