"""Loading specs: typed values, source lines, clean errors for bad files, a stable hash."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from contract_specs.findings import SpecError
from contract_specs.loader import check_spec_file, check_spec_text, load_spec, parse_spec_text
from contract_specs.model import AgeAtStart, Duration

SPECS = Path(__file__).parents[1] / "fixtures" / "specs"
YAML_SPEC = SPECS / "job_outcomes.yaml"
JSON_SPEC = SPECS / "job_outcomes.json"


def test_a_yaml_spec_loads_into_typed_objects() -> None:
    spec = load_spec(YAML_SPEC)
    assert spec.contract.service_start == date(2015, 1, 1)
    assert spec.contract.exponent == 2
    entry, sustained = spec.metrics
    assert entry.tariff.at(date(2015, 6, 1)) == Decimal("1000.00")
    assert sustained.prerequisites[0].min_gap == Duration(weeks=13)
    assert spec.cohorts[0].eligibility == (AgeAtStart("date_of_birth", 18, 24),)
    assert spec.payer_shares.at(date(2015, 1, 1)) == {"council": Decimal(80), "top-up": Decimal(20)}
    assert spec.caps.per_participant == Decimal("3000.00")
    assert spec.examples[0].lines[0].amount == Decimal("800.00")


def test_example_rows_read_like_csv_cells() -> None:
    text = YAML_SPEC.read_text().replace(
        "date_of_birth: 1995-06-01}", "date_of_birth: 1995-06-01, care_leaver: true}"
    )
    row = parse_spec_text(text, "spec.yaml").examples[0].participants[0]
    assert row["start_date"] == "2015-02-01"
    assert row["care_leaver"] == "true"


def test_no_amount_is_ever_a_float() -> None:
    spec = load_spec(JSON_SPEC)
    amounts = [m.tariff.entries[0].value for m in spec.metrics]
    assert all(isinstance(a, Decimal) for a in amounts)


def test_yaml_and_json_of_the_same_contract_hash_the_same() -> None:
    # the JSON fixture lists every key in reverse order, writes "1000" for "1000.00" and
    # spells out two defaults
    assert load_spec(YAML_SPEC).content_hash == load_spec(JSON_SPEC).content_hash


def test_the_hash_changes_when_the_contract_changes() -> None:
    original = YAML_SPEC.read_text()
    changed = original.replace('price: "2000.00"', 'price: "2000.01"')
    assert changed != original
    assert parse_spec_text(changed).content_hash != parse_spec_text(original).content_hash


def test_the_hash_ignores_key_order_and_comments_in_yaml() -> None:
    original = YAML_SPEC.read_text()
    reordered = original.replace(
        "  currency: GBP\n  payment_frequency: quarterly\n",
        "  payment_frequency: quarterly   # moved\n  currency: GBP\n",
    )
    assert reordered != original
    assert parse_spec_text(reordered).content_hash == parse_spec_text(original).content_hash


def test_findings_carry_the_yaml_line_of_their_node() -> None:
    lines = YAML_SPEC.read_text().splitlines()
    price_line = next(n for n, text in enumerate(lines, 1) if 'price: "2000.00"' in text)
    text = YAML_SPEC.read_text().replace('price: "2000.00"', "price: 2000.00")
    (finding,) = check_spec_text(text, "spec.yaml").errors
    assert finding.path == "$.metrics[1].tariff[0].price"
    assert finding.line == price_line
    assert "write it in quotes" in finding.message


def test_a_missing_key_points_at_its_parent_line() -> None:
    text = "spec_language: 1\ncontract:\n  id: x\n  name: X\n"
    findings = check_spec_text(text, "spec.yaml").findings
    missing_currency = next(f for f in findings if "missing `currency`" in f.message)
    assert (missing_currency.path, missing_currency.line) == ("$.contract", 2)


def test_json_findings_have_lines_too() -> None:
    doc = json.loads(JSON_SPEC.read_text())
    doc["contract"]["currency"] = "GPB"
    text = json.dumps(doc, indent=2)
    (finding,) = check_spec_text(text, "spec.json").errors
    expected = next(n for n, line in enumerate(text.splitlines(), 1) if '"GPB"' in line)
    assert finding.line == expected
    assert "did you mean `GBP`" in finding.message


def test_json_numbers_for_money_are_refused_with_the_fix() -> None:
    doc = json.loads(JSON_SPEC.read_text())
    text = json.dumps(doc).replace('"3000.00"', "3000.10")
    (finding,) = check_spec_text(text, "spec.json").errors
    assert finding.path == "$.caps.per_participant"
    assert 'write it in quotes, e.g. "3000.10"' in finding.message


@pytest.mark.parametrize(
    ("text", "name", "phrase", "line"),
    [
        ("contract: [1,\n", "spec.yaml", "YAML syntax error", 2),
        ('{"contract": }', "spec.json", "JSON syntax error", 1),
        ("", "spec.yaml", "the file is empty", None),
        ("a: 1\nb: 2\na: 3\n", "spec.yaml", "the key `a` appears more than once", 3),
        ('{"a": 1, "a": 2}', "spec.json", "the key `a` appears more than once", None),
    ],
)
def test_unreadable_text_is_one_clean_finding(
    text: str, name: str, phrase: str, line: int | None
) -> None:
    findings = check_spec_text(text, name).errors
    assert any(phrase in f.message and f.line == line for f in findings), findings


def test_yes_and_no_stay_text_and_dates_stay_text_until_converted() -> None:
    text = YAML_SPEC.read_text().replace("name: Test jobs contract", "name: no")
    spec = parse_spec_text(text)
    assert spec.contract.name == "no"


def test_a_missing_file_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    (finding,) = check_spec_file(tmp_path / "missing.yaml")
    assert "cannot read the file" in finding.message


def test_load_spec_raises_with_every_finding() -> None:
    with pytest.raises(SpecError) as raised:
        load_spec(SPECS / "three_mistakes.yaml")
    assert len([f for f in raised.value.findings if f.is_error]) == 3
    assert "and 2 more" in str(raised.value)
