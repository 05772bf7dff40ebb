"""The INDIGO export of every example contract, after a small history (load, participants,
evidence, verification, results, reconcile, remittances), validates against the schema of the
INDIGO data standard's fields it fills, names no participant and no attribute, and matches the
published fields of INDIGO-POJ-0143 (New Horizons, Career Connect)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from api.cli import main
from contract_specs.loader import load_spec
from ledger.services.contracts import load_spec_file
from ledger.storage.db import unit_of_work
from reporting.indigo import encode, indigo_export
from reporting.indigo_profile import read_profile
from tests.indigo_history import play_history

EXAMPLES = Path(__file__).parents[2] / "contract_specs" / "examples"
SPECS = sorted(EXAMPLES.glob("*.yaml"))
SCHEMA = json.loads(
    (
        Path(__file__).parents[2] / "contract_specs" / "schema" / "indigo-project.schema.json"
    ).read_text("utf-8")
)
PUBLISHED = EXAMPLES / "new-horizons-career-connect.yaml"
PROFILE = EXAMPLES / "indigo" / "new-horizons-career-connect.yaml"


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)] + [str(k) for k in node]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [str(node)]


@pytest.mark.parametrize("spec_file", SPECS, ids=[p.stem for p in SPECS])
def test_every_example_exports_to_the_indigo_schema_with_no_participant(
    engine: Engine, tmp_path: Path, spec_file: Path
) -> None:
    cid, example, day = play_history(engine, spec_file, tmp_path)
    with unit_of_work(engine) as session:
        text = encode(indigo_export(session, cid, day)).decode("utf-8")
    document = json.loads(text, parse_float=Decimal)
    jsonschema.Draft7Validator(SCHEMA).validate(document)
    data = document["project"]["data"]
    received = sum(
        (
            Decimal(t["money"]["amount"]["value"])
            for t in data["transactions"]
            if t["transaction_type"]["value"] == "Outcome Payment"
        ),
        Decimal(0),
    )
    assert (
        Decimal(data["overall_project_finance"]["total_outcome_payments_made"]["amount"]["value"])
        == received
    )
    if any(line.amount > 0 for line in example.lines):
        assert received > 0  # the history paid something, so the totals below say something
    # every claim was paid exactly: the payments by metric add up to the money received
    by_metric = sum(
        (Decimal(p["money"]["amount"]["value"]) for p in data["outcome_payments"]), Decimal(0)
    )
    assert by_metric == received
    assert data["service_and_beneficiaries"][
        "actual_number_service_users_or_beneficiaries_total"
    ] == {"value": len(example.participants)}
    spec = load_spec(spec_file)
    if spec.investment is not None:
        tranches = spec.investment.tranches
        invested = data["investment_details"]["total_funds_invested"]["latest"]
        assert Decimal(invested["amount"]["value"]) == sum(t.commitment / 10 for t in tranches)
        draws = [t for t in data["transactions"] if "investment_id" in t]
        assert sorted(t["investment_id"]["value"] for t in draws) == sorted(t.id for t in tranches)
        assert [i["id"] for i in data["investments"]] == [t.id for t in tranches]
    # no participant id, no attribute name or value, no evidence id, anywhere in the text
    secrets = {str(p["participant_id"]) for p in example.participants}
    secrets |= {str(e["evidence_id"]) for e in example.evidence}
    secrets |= {a.name for a in spec.attributes}
    secrets |= {
        str(p[a.name]) for p in example.participants for a in spec.attributes if a.name in p
    }
    shown = _strings(document)
    for secret in secrets:
        assert not any(secret in s for s in shown), f"{secret!r} appears in the export"
    assert '"amount":{"value":' in text.replace(" ", "")  # money as numbers, not strings


def test_the_published_project_exports_its_published_fields(
    engine: Engine, cli_env: str, tmp_path: Path
) -> None:
    cid, _, day = play_history(engine, PUBLISHED, tmp_path)
    # after the last outcome date, every claim paid: INDIGO's stage is Complete
    day = max(day, date(2016, 1, 1))
    result = CliRunner().invoke(
        main,
        ["export", "indigo", cid, "--as-of", day.isoformat(), "--profile", str(PROFILE)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output, parse_float=Decimal)
    jsonschema.Draft7Validator(SCHEMA).validate(document)
    project = document["project"]
    data = project["data"]
    assert project["id"] == "INDIGO-POJ-0143"
    assert data["name"] == {"value": "New Horizons (Career Connect)"}
    assert data["stage_development"] == {"value": "Complete"}
    assert data["dates"]["start_date_of_service_provision"]["value"].startswith("2012-04")
    commitment = data["overall_project_finance"]["total_investment_commitment"]
    assert commitment == {"currency": {"value": "GBP"}, "amount": {"exact": {"value": 1500000}}}
    assert data["purpose_and_classifications"] == {
        "policy_sector": {"value": "Employment and training"}
    }
    assert read_profile(PROFILE).project_id == project["id"]


def test_a_bad_profile_is_refused_line_by_line_and_nothing_is_written(
    engine: Engine, cli_env: str, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        load_spec_file(session, PUBLISHED, actor="test", now=datetime(2012, 1, 1, tzinfo=UTC))
    bad = tmp_path / "profile.yaml"
    bad.write_text("project_id: POJ-143\njurisdiction: Britain\nunknown_field: 1\n")
    result = CliRunner().invoke(
        main, ["export", "indigo", "new-horizons-career-connect", "--profile", str(bad)]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert any("$.project_id" in line and str(bad) in line for line in lines), lines
    assert any("$.jurisdiction" in line for line in lines), lines
    assert any("unknown_field" in line for line in lines), lines
    assert "Traceback" not in result.output
    stranger = tmp_path / "stranger.yaml"
    stranger.write_text("organisations: {nobody: INDIGO-ORG-0001}\n")
    result = CliRunner().invoke(
        main, ["export", "indigo", "new-horizons-career-connect", "--profile", str(stranger)]
    )
    assert result.exit_code == 1
    assert "nobody" in result.stderr and "not a party" in result.stderr


def test_an_export_as_of_a_day_after_today_is_refused(engine: Engine, cli_env: str) -> None:
    with unit_of_work(engine) as session:
        load_spec_file(session, PUBLISHED, actor="test", now=datetime(2012, 1, 1, tzinfo=UTC))
    result = CliRunner().invoke(
        main, ["export", "indigo", "new-horizons-career-connect", "--as-of", "2999-01-01"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "as_of: 2999-01-01 is after today" in result.stderr
