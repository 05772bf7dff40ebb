"""The API's contract preview (POST /api/contracts/{id}/preview): the same money as the CLI's,
for the contract's intermediary only, and nothing written.

The world and the expected change are test_contract_preview's: the Fair Chance Fund example with
the accommodation entry tariff raised from 500 to 600, worked out by hand from the facts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from ledger.storage.audit import chain_head
from ledger.storage.db import unit_of_work
from ledger.storage.tokens import create_token
from tests.integration.test_contract_preview import (
    CONTRACT,
    SPEC,
    _counts,
    _expected,
    _load_world,
    _raised,
)


def _bearer(engine: Engine, role: str, party: str) -> dict[str, str]:
    with unit_of_work(engine) as session:
        made = create_token(session, role, party, CONTRACT, actor="test", now=datetime.now(UTC))
    return {"Authorization": f"Bearer {made.secret}"}


def _head(engine: Engine) -> str:
    with engine.connect() as connection:
        return chain_head(connection)


def test_the_api_shows_a_raised_tariff_per_payer_and_period_and_writes_nothing(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    _load_world(tmp_path)
    raised = _raised(tmp_path, "500.00", "600.00").read_bytes()
    intermediary = _bearer(engine, "intermediary", "sib-manager")
    counts, head = _counts(engine), _head(engine)

    with TestClient(create_app(engine=engine)) as client:
        answer = client.post(
            f"/api/contracts/{CONTRACT}/preview",
            content=raised,
            headers={**intermediary, "Content-Type": "application/yaml"},
        )
        assert answer.status_code == 200, answer.text
        preview = answer.json()
        got = {(c["payer"], c["period"]): Decimal(c["change"]) for c in preview["by_payer_period"]}
        assert got == _expected()
        assert [(m["metric"], Decimal(m["change"])) for m in preview["by_metric"]] == [
            ("accommodation_entry", Decimal("200"))
        ]
        assert Decimal(preview["total"]["change"]) == Decimal("200")
        lines = {(x["participant_id"], x["payer"], x["period"]) for x in preview["lines"]}
        assert lines == {
            ("ambition/A", "dclg", "2015-Q2"),
            ("ambition/A", "cabinet-office", "2015-Q2"),
            ("ambition/B", "dclg", "2016-Q3"),
            ("ambition/B", "cabinet-office", "2016-Q3"),
        }
        # every line moves by the tariff delta times its payer's share
        assert sum(Decimal(x["change"]) for x in preview["lines"]) == Decimal("200")

        unchanged = client.post(
            f"/api/contracts/{CONTRACT}/preview",
            content=SPEC.read_bytes(),
            headers={**intermediary, "Content-Type": "application/yaml"},
        )
        assert unchanged.status_code == 200
        assert unchanged.json()["lines"] == []

    assert _counts(engine) == counts
    assert _head(engine) == head


def test_only_the_intermediary_may_preview_and_another_contracts_spec_is_refused(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    _load_world(tmp_path)
    provider = _bearer(engine, "provider", "ambition")
    intermediary = _bearer(engine, "intermediary", "sib-manager")
    other = (SPEC.parent / "peterborough.yaml").read_bytes()
    with TestClient(create_app(engine=engine)) as client:
        as_provider = client.post(
            f"/api/contracts/{CONTRACT}/preview",
            content=SPEC.read_bytes(),
            headers={**provider, "Content-Type": "application/yaml"},
        )
        assert as_provider.status_code == 403
        refused = client.post(
            f"/api/contracts/{CONTRACT}/preview",
            content=other,
            headers={**intermediary, "Content-Type": "application/yaml"},
        )
        assert refused.status_code == 422
        assert "not 'fcf-ambition'" in refused.json()["error"]["message"]
