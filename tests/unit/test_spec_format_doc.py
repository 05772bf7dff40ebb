"""docs/spec-format.yaml shows every key of the language once: it must stay a valid spec whose
example passes, and it must show every top-level section the schema has."""

from __future__ import annotations

import json
from pathlib import Path

from contract_specs.examples_runner import run_examples
from contract_specs.loader import check_spec_file, load_spec
from ledger.domain.entitlement import evaluate_example

ROOT = Path(__file__).parents[2]
FORMAT = ROOT / "docs" / "spec-format.yaml"
SCHEMA = ROOT / "contract_specs" / "schema" / "contract.schema.json"


def test_the_format_sheet_is_a_valid_spec_whose_example_passes() -> None:
    findings = [f for f in check_spec_file(FORMAT) if f.severity == "error"]
    assert findings == []
    outcomes = run_examples(load_spec(FORMAT), evaluate_example)
    assert outcomes and all(o.passed for o in outcomes), outcomes


def test_the_format_sheet_shows_every_top_level_section() -> None:
    sections = json.loads(SCHEMA.read_text())["properties"]
    text = FORMAT.read_text()
    missing = [key for key in sections if f"\n{key}:" not in f"\n{text}"]
    assert missing == []
