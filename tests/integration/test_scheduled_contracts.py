"""Which contracts the scheduler runs: those with a spec version in force, however it got there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from ledger.services.contracts import activate_version, load_spec_file
from ledger.storage.db import unit_of_work
from reconciliation.status import active_contracts

EXAMPLES = Path(__file__).parents[2] / "contract_specs" / "examples"
AT = datetime(2015, 1, 1, tzinfo=UTC)


def test_a_draft_is_scheduled_only_once_it_is_put_in_force(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        load_spec_file(session, EXAMPLES / "peterborough.yaml", actor="m", now=AT, active=False)
        load_spec_file(session, EXAMPLES / "fair-chance-fund-ambition.yaml", actor="m", now=AT)
    with unit_of_work(engine) as session:
        assert [s.contract.id for s in active_contracts(session)] == ["fcf-ambition"]
        draft = load_spec_file(
            session, EXAMPLES / "peterborough.yaml", actor="m", now=AT, active=False
        )
        activate_version(session, draft.contract_id, draft.version, "m", AT)
    with unit_of_work(engine) as session:
        ids = [s.contract.id for s in active_contracts(session)]
    assert ids == sorted(["fcf-ambition", draft.contract_id])
