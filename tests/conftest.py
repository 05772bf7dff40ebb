"""Shared fixtures: a migrated database on each backend, sessions, and a small spec.

`db_url` runs a test on SQLite (a temporary file) and, when OUTCOMES_TEST_POSTGRES_URL is set,
on PostgreSQL too, each test in a fresh schema of its own (dropped afterwards). Under CI=true a
PostgreSQL server that is missing or unreachable fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from contract_specs.model import (
    AgeAtStart,
    Attribute,
    AttributeType,
    Cohort,
    Contract,
    ContractCaps,
    ContractSpec,
    Dated,
    Duration,
    Frequency,
    Measure,
    Metric,
    Party,
    Payer,
    Prerequisite,
    Role,
    Schedule,
    Threshold,
)
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.storage.db import make_engine, normalise_url, unit_of_work, upgrade
from ledger.storage.settings import get_settings

POSTGRES_ENV = "OUTCOMES_TEST_POSTGRES_URL"
UPLOADS = Path(__file__).parent / "fixtures" / "uploads"


def _backends() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of its own: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run")
        pytest.skip(f"{POSTGRES_ENV} not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # a missing server is a failure under CI, a skip elsewhere
        admin.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {POSTGRES_ENV} unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = make_url(normalise_url(server)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the latest revision (through the real migrations)."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session in one unit of work, committed at the end of the test unless it raised."""
    with unit_of_work(engine) as session:
        yield session


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Every test reads the settings of its own environment: get_settings reads them once per
    process, so its cache is emptied before and after each test, and a database URL (or an
    upload limit) one test set is never what the next one reads."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def cli_env(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the `outcomes` CLI (OUTCOMES_DATABASE_URL) at the test database; returns the URL."""
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for writes whose time matters (UTC)."""
    return datetime(2016, 1, 1, 12, 0, tzinfo=UTC)


def small_spec() -> ContractSpec:
    """A small rate-card contract (DWP Innovation Fund style), hand-written for tests.

    Cohort `c1` enrols 2015 starts aged 14-24 (capacity 5); job entry pays 3,500 once, sustained
    job pays 2,000 only 91 days after job entry; a level 2 qualification pays 3,300 within 24
    months; earnings of 768.00 pay 300; the per-person cap is 8,200; payers split 80/20.
    """
    contract = Contract(
        id="dwp-test",
        name="Innovation Fund (test)",
        currency="GBP",
        payment_frequency=Frequency.QUARTERLY,
        service_start=date(2015, 1, 1),
        last_outcome_date=date(2017, 12, 31),
    )

    def price(amount: str) -> Schedule[Decimal]:
        return Schedule((Dated(date(2015, 1, 1), Decimal(amount)),))

    return ContractSpec(
        contract=contract,
        parties=(
            Party("dwp", Role.COMMISSIONER, "Department for Work and Pensions"),
            Party("topup", Role.COMMISSIONER, "Top-up fund"),
            Party("acme", Role.PROVIDER, "Acme Youth Services"),
            Party("fund", Role.INVESTOR, "Social investor"),
            Party("manager", Role.INTERMEDIARY, "SIB manager"),
        ),
        attributes=(
            Attribute("date_of_birth", AttributeType.DATE),
            Attribute("care_leaver", AttributeType.BOOLEAN, required=False),
            Attribute("region", AttributeType.STRING, required=False, values=("north", "south")),
        ),
        cohorts=(
            Cohort(
                id="c1",
                name="Starts in 2015",
                enrolment_from=date(2015, 1, 1),
                enrolment_to=date(2015, 12, 31),
                capacity=5,
                eligibility=(AgeAtStart("date_of_birth", min=14, max=24),),
                cancelled_on=date(2015, 11, 1),
            ),
        ),
        measures=(Measure("earnings", "Earnings since start", "GBP", decimals=2),),
        metrics=(
            Metric(
                "job_entry",
                "Entry to first employment (13 weeks)",
                price("3500.00"),
                evidence_types=("payslip", "employer_letter"),
            ),
            Metric(
                "job_sustained",
                "Sustained employment 26 weeks",
                price("2000.00"),
                prerequisites=(Prerequisite("job_entry", Duration(days=91)),),
            ),
            Metric("nqf2", "First NQF level 2", price("3300.00"), window=Duration(months=24)),
            Metric(
                "earnings_768",
                "Earned 768",
                price("300.00"),
                threshold=Threshold("earnings", Decimal("768")),
            ),
        ),
        payers=(Payer("dwp"), Payer("topup")),
        payer_shares=Schedule(
            (Dated(date(2015, 1, 1), {"dwp": Decimal("80"), "topup": Decimal("20")}),)
        ),
        caps=ContractCaps(per_participant=Decimal("8200.00")),
        content_hash="test-small-spec",
    )


@pytest.fixture
def spec() -> ContractSpec:
    """The small hand-written spec (see `small_spec`)."""
    return small_spec()


@pytest.fixture
def uploads() -> Path:
    """The folder of upload fixtures (tests/fixtures/uploads)."""
    return UPLOADS


@pytest.fixture
def active(engine: Engine, spec: ContractSpec, now: datetime) -> ActiveSpec:
    """The small spec registered as version 1 of its contract (and known to the parse cache)."""
    with unit_of_work(engine) as session:
        register_spec(session, spec, {"small_spec": True}, actor="test", now=now)
    remember(spec)
    return ActiveSpec(1, spec)
