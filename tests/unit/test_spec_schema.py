"""The JSON Schema itself: valid Draft 2020-12, in step with the model, friendly messages."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from contract_specs.model import CURRENCY_EXPONENTS
from contract_specs.schema_check import contract_schema, schema_findings


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(contract_schema())


def test_the_schema_knows_exactly_the_currencies_the_model_knows() -> None:
    currencies = contract_schema()["$defs"]["contract"]["properties"]["currency"]["enum"]
    assert set(currencies) == set(CURRENCY_EXPONENTS)


def _objects(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found.extend(_objects(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_objects(value))
    return found


def test_every_object_refuses_unknown_keys() -> None:
    # free-form mappings (attributes, shares, tariffs...) validate their values instead
    for obj in _objects(contract_schema()):
        assert "additionalProperties" in obj, obj.get("description")


def test_a_typo_in_a_key_suggests_the_key() -> None:
    doc = {
        "spec_language": 1,
        "contract": {
            "id": "x",
            "name": "X",
            "currency": "GBP",
            "payment_frequency": "monthly",
            "service_start": "2015-01-01",
            "referals_close": "x",
        },
    }
    messages = {f.path: f.message for f in schema_findings(doc)}
    assert "did you mean `referrals_close`" in messages["$.contract.referals_close"]


def test_an_impossible_date_is_refused() -> None:
    doc = {"contract": {"service_start": "2015-02-30"}}
    messages = {f.path: f.message for f in schema_findings(doc)}
    assert "YYYY-MM-DD" in messages["$.contract.service_start"]


def test_a_rule_with_two_kinds_is_refused() -> None:
    rule = {"flag": {"attribute": "a"}, "one_of": {"attribute": "a", "values": ["x"]}}
    doc = {
        "cohorts": [
            {
                "id": "c",
                "name": "C",
                "enrolment": {"from": "2015-01-01", "to": "2015-01-02"},
                "eligibility": [rule],
            }
        ]
    }
    messages = {f.path: f.message for f in schema_findings(doc)}
    assert "exactly one of" in messages["$.cohorts[0].eligibility[0]"]
