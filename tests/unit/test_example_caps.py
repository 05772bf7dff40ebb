"""Examples that scale caps and commitments down, and carry negative quantities (issue 16,
item 7): a cap a real contract reaches after thousands of people, tested in a few rows."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from contract_specs.example_caps import example_spec
from contract_specs.examples_runner import run_example
from contract_specs.loader import load_spec
from contract_specs.model import ExampleCaps, MetricCaps
from ledger.domain.entitlement import evaluate_example

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "rules-boundaries.yaml"


def test_an_example_runs_under_its_own_caps_and_the_spec_keeps_its_own() -> None:
    spec = load_spec(SPEC)
    (example,) = [
        e
        for e in spec.examples
        if e.name.startswith("caps scaled down") and e.caps and e.caps.contract
    ]
    assert run_example(spec, example, evaluate_example).passed
    # without its caps the same rows pay every entry in full: the example would fail
    uncapped = replace(example, caps=None)
    assert not run_example(spec, uncapped, evaluate_example).passed
    assert spec.caps.contract is None and load_spec(SPEC).content_hash == spec.content_hash


def test_the_caps_given_replace_the_specs_and_only_those() -> None:
    spec = load_spec(SPEC)
    caps = ExampleCaps(
        per_participant=Decimal("10.00"),
        commitments={"council": Decimal("5.00")},
        metrics={"care_day_payment": MetricCaps(count=2)},
    )
    scaled = example_spec(spec, replace(spec.examples[0], caps=caps))
    assert scaled.caps.per_participant == Decimal("10.00") and scaled.caps.contract is None
    assert [p.commitment for p in scaled.payers] == [Decimal("5.00")]
    assert scaled.metric("care_day_payment").caps == MetricCaps(count=2)
    assert scaled.metric("earned_768").caps == spec.metric("earned_768").caps
    assert example_spec(spec, spec.examples[0]) is spec
