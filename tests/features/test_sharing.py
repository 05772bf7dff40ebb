"""Steps for features/sharing: the INDIGO export, from the CLI and the API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from api.cli import main
from contract_specs.model import Example, Role
from tests.indigo_history import play_history

# the database (both backends) and the CLI pointed at it, for every scenario
pytestmark = pytest.mark.usefixtures("engine", "cli_env")

scenarios("sharing")

EXAMPLES = Path(__file__).parents[2] / "contract_specs" / "examples"
SPEC = EXAMPLES / "new-horizons-career-connect.yaml"
PROFILE = EXAMPLES / "indigo" / "new-horizons-career-connect.yaml"


@dataclass
class Sharing:
    """What the intermediary has done and what came back."""

    contract: str = ""
    example: Example | None = None
    document: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    status: dict[Role, int] = field(default_factory=dict)


@pytest.fixture
def sharing() -> Sharing:
    return Sharing()


@given("New Horizons has run and every claim has been paid")
def ran(sharing: Sharing, engine: Engine, cli_env: str, tmp_path: Path) -> None:
    sharing.contract, sharing.example, _ = play_history(engine, SPEC, tmp_path)


@when("I export it for INDIGO with its INDIGO profile after the last outcome date")
def export(sharing: Sharing) -> None:
    args = ["export", "indigo", sharing.contract, "--as-of", "2016-01-01", "--profile"]
    result = CliRunner().invoke(main, [*args, str(PROFILE)])
    assert result.exit_code == 0, result.output
    sharing.text = result.stdout
    sharing.document = json.loads(result.stdout, parse_float=Decimal)


@then(parsers.parse('it is INDIGO project "{project_id}" named "{name}"'))
def named(sharing: Sharing, project_id: str, name: str) -> None:
    assert sharing.document["project"]["id"] == project_id
    assert sharing.document["project"]["data"]["name"] == {"value": name}


@then(parsers.parse('its stage of development is "{stage}"'))
def staged(sharing: Sharing, stage: str) -> None:
    assert sharing.document["project"]["data"]["stage_development"] == {"value": stage}


@then("its outcome payments made are the money DWP sent, in GBP")
def payments_made(sharing: Sharing) -> None:
    data = sharing.document["project"]["data"]
    sent = [
        Decimal(t["money"]["amount"]["value"])
        for t in data["transactions"]
        if t["transaction_type"] == {"value": "Outcome Payment"}
        and t["sending_organisation_id"] == {"value": "dwp"}
    ]
    made = data["overall_project_finance"]["total_outcome_payments_made"]
    assert sent and made == {"currency": {"value": "GBP"}, "amount": {"value": sum(sent)}}


@then("no participant's id or date of birth is anywhere in it")
def nobody(sharing: Sharing) -> None:
    assert sharing.example is not None
    for person in sharing.example.participants:
        for secret in (person["participant_id"], person["date_of_birth"], "date_of_birth"):
            assert str(secret) not in sharing.text, secret


@given("the API's test contract")
def api_contract(sharing: Sharing) -> None:
    sharing.contract = "dwp-test"


def _ask(client: TestClient[Litestar], headers: dict[str, str], contract: str) -> int:
    return client.get(f"/api/contracts/{contract}/indigo", headers=headers).status_code


@when("a commissioner asks for its INDIGO export")
def commissioner_asks(
    sharing: Sharing, client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    sharing.status[Role.COMMISSIONER] = _ask(client, as_role[Role.COMMISSIONER], sharing.contract)
    sharing.status[Role.INTERMEDIARY] = _ask(client, as_role[Role.INTERMEDIARY], sharing.contract)


@then("the commissioner is refused")
def refused(sharing: Sharing) -> None:
    assert sharing.status[Role.COMMISSIONER] == 403


@then("the intermediary gets it")
def intermediary_gets(sharing: Sharing) -> None:
    assert sharing.status[Role.INTERMEDIARY] == 200
