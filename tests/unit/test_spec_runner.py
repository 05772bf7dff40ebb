"""The `spec test` runner, driven by fake evaluators (the real engine is tested in ledger)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from contract_specs.examples_runner import EvaluatedExample, ExampleEvaluator, run_examples
from contract_specs.loader import load_spec
from contract_specs.model import ContractSpec, Example, ExpectedLine, ExpectedNotPayable

SPEC = load_spec(Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml")


def answering(
    lines: list[ExpectedLine], not_payable: tuple[ExpectedNotPayable, ...] = ()
) -> ExampleEvaluator:
    def evaluate(spec: ContractSpec, example: Example) -> EvaluatedExample:
        return EvaluatedExample(lines=tuple(lines), not_payable=not_payable)

    return evaluate


def line(metric: str, payer: str, amount: str, cut_by: str = "") -> ExpectedLine:
    return ExpectedLine("P1", metric, payer, Decimal(amount), 1, cut_by)


RIGHT = [
    line("job_entry", "council", "800"),
    line("job_entry", "top-up", "200.0"),
    line("job_sustained_13w", "council", "1600.00"),
    line("job_sustained_13w", "top-up", "400.00"),
]


def differences(evaluate: ExampleEvaluator) -> list[str]:
    (outcome,) = run_examples(SPEC, evaluate)
    assert outcome.name == "entry then sustained"
    return [str(d) for d in outcome.differences]


def test_the_right_answer_passes_whatever_the_order_and_zero_lines() -> None:
    answer = [
        *reversed(RIGHT),
        ExpectedLine("P2", "job_entry", "council", Decimal(0)),
    ]
    (outcome,) = run_examples(SPEC, answering(answer))
    assert outcome.passed, outcome.differences


def test_a_missing_line_an_unexpected_line_and_a_different_amount() -> None:
    answer = [
        RIGHT[0],
        line("job_entry", "top-up", "250.00"),
        RIGHT[2],
        ExpectedLine("P1", "job_sustained_13w", "council", Decimal(5), 2),
    ]
    assert differences(answering(answer)) == [
        "different amount: P1 job_entry #1 top-up: expected 200.00, got 250.00",
        "missing line: P1 job_sustained_13w #1 top-up 400.00",
        "unexpected line: P1 job_sustained_13w #2 council 5.00",
        "different total: council: expected 2400.00, got 2405.00",
        "different total: top-up: expected 600.00, got 250.00",
    ]


def test_cut_by_is_compared_only_when_the_example_gives_it() -> None:
    cut = [dataclasses.replace(RIGHT[0], cut_by="participant_cap"), *RIGHT[1:]]
    assert differences(answering(cut)) == []
    example = SPEC.examples[0]
    expects_no_cut = dataclasses.replace(
        example, lines=(dataclasses.replace(example.lines[0], cut_by=""), *example.lines[1:])
    )
    spec = dataclasses.replace(SPEC, examples=(expects_no_cut,))
    (outcome,) = run_examples(spec, answering(cut))
    assert [str(d) for d in outcome.differences] == [
        "different cut_by: P1 job_entry #1 council: expected none, got participant_cap"
    ]


def test_not_payable_rows_are_compared_as_a_set() -> None:
    example = dataclasses.replace(
        SPEC.examples[0], not_payable=(ExpectedNotPayable("E3", "not_verified"),)
    )
    spec = dataclasses.replace(SPEC, examples=(example,))
    (outcome,) = run_examples(spec, answering(RIGHT, (ExpectedNotPayable("E3", "rejected"),)))
    assert [str(d) for d in outcome.differences] == [
        "missing not_payable: E3 not_verified",
        "unexpected not_payable: E3 rejected",
    ]


def test_an_engine_failure_fails_the_example_and_names_it() -> None:
    def broken(spec: ContractSpec, example: Example) -> EvaluatedExample:
        raise KeyError("job_entry")

    assert differences(broken) == ["engine failed: KeyError: 'job_entry'"]
