"""Runs the examples embedded in a spec (`outcomes spec test`).

The engine that computes entitlement lives in `ledger`, which this package may not import, so
the caller passes it in as an `ExampleEvaluator` (the CLI passes
`ledger.domain.entitlement.evaluate_example`).

An example passes when the engine's non-zero lines are exactly the expected ones, keyed by
(participant_id, metric, occurrence, payer) with equal amounts (and equal `cut_by` where the
expectation gives one), its not-payable rows are exactly the expected (evidence_id, reason)
pairs, and, when totals are given, each payer's total is as expected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from contract_specs.model import ContractSpec, Example, ExpectedLine, ExpectedNotPayable


@dataclass(frozen=True)
class EvaluatedExample:
    """What the engine made of one example: the non-zero lines and the rows that earn nothing.

    `ExpectedLine` doubles as the actual line (amount as a Decimal in the currency, `cut_by`
    filled in, "" when no cap cut it)."""

    lines: tuple[ExpectedLine, ...]
    not_payable: tuple[ExpectedNotPayable, ...]


class ExampleEvaluator(Protocol):
    def __call__(self, spec: ContractSpec, example: Example) -> EvaluatedExample: ...


DifferenceKind = Literal[
    "missing line",
    "unexpected line",
    "different amount",
    "different cut_by",
    "missing not_payable",
    "unexpected not_payable",
    "different total",
    "engine failed",
]
LineKey = tuple[str, str, int, str]


@dataclass(frozen=True)
class Difference:
    """One way the engine's answer differs from the example's expectation."""

    kind: DifferenceKind
    subject: str
    expected: str = ""
    actual: str = ""

    def __str__(self) -> str:
        if self.expected and self.actual:
            return f"{self.kind}: {self.subject}: expected {self.expected}, got {self.actual}"
        detail = self.expected or self.actual
        return f"{self.kind}: {self.subject}" + (f" {detail}" if detail else "")


@dataclass(frozen=True)
class ExampleOutcome:
    """The verdict on one example: passed when there is no difference."""

    name: str
    differences: tuple[Difference, ...]

    @property
    def passed(self) -> bool:
        return not self.differences


def line_key(line: ExpectedLine) -> LineKey:
    """The entitlement key of a line (SEMANTICS.md 3.8)."""
    return (line.participant_id, line.metric, line.occurrence, line.payer)


def _describe(key: LineKey) -> str:
    participant, metric, occurrence, payer = key
    return f"{participant} {metric} #{occurrence} {payer}"


def _non_zero(lines: Iterable[ExpectedLine]) -> dict[LineKey, ExpectedLine]:
    return {line_key(line): line for line in lines if line.amount != 0}


def compare_lines(
    expected: Iterable[ExpectedLine], actual: Iterable[ExpectedLine], exponent: int
) -> list[Difference]:
    """Differences between two sets of non-zero lines, in key order."""
    want, got = _non_zero(expected), _non_zero(actual)
    quantum = Decimal(1).scaleb(-exponent)

    def money(amount: Decimal) -> str:
        return str(amount.quantize(quantum))

    found: list[Difference] = []
    for key in sorted(want.keys() | got.keys()):
        if key not in got:
            found.append(Difference("missing line", _describe(key), money(want[key].amount)))
        elif key not in want:
            found.append(Difference("unexpected line", _describe(key), "", money(got[key].amount)))
        else:
            w, g = want[key], got[key]
            if w.amount != g.amount:
                found.append(
                    Difference("different amount", _describe(key), money(w.amount), money(g.amount))
                )
            if w.cut_by is not None and w.cut_by != (g.cut_by or ""):
                found.append(
                    Difference(
                        "different cut_by", _describe(key), w.cut_by or "none", g.cut_by or "none"
                    )
                )
    return found


def compare_not_payable(
    expected: Iterable[ExpectedNotPayable], actual: Iterable[ExpectedNotPayable]
) -> list[Difference]:
    """Differences between two sets of (evidence_id, reason)."""
    want = {(n.evidence_id, n.reason) for n in expected}
    got = {(n.evidence_id, n.reason) for n in actual}
    missing = [Difference("missing not_payable", e, r) for e, r in sorted(want - got)]
    unexpected = [Difference("unexpected not_payable", e, "", r) for e, r in sorted(got - want)]
    return missing + unexpected


def compare_totals(
    expected: Mapping[str, Decimal], actual: Iterable[ExpectedLine], exponent: int
) -> list[Difference]:
    """Per-payer totals, when the example gives them: every payer paid or expected must agree."""
    if not expected:
        return []
    got: dict[str, Decimal] = defaultdict(Decimal)
    for line in actual:
        got[line.payer] += line.amount
    quantum = Decimal(1).scaleb(-exponent)
    found = []
    for payer in sorted(expected.keys() | {p for p, total in got.items() if total != 0}):
        want, have = expected.get(payer, Decimal(0)), got.get(payer, Decimal(0))
        if want != have:
            found.append(
                Difference(
                    "different total",
                    payer,
                    str(want.quantize(quantum)),
                    str(have.quantize(quantum)),
                )
            )
    return found


def compare_example(
    example: Example, evaluated: EvaluatedExample, exponent: int
) -> tuple[Difference, ...]:
    """Every difference between an example's expectation and what the engine made of it."""
    return (
        *compare_lines(example.lines, evaluated.lines, exponent),
        *compare_not_payable(example.not_payable, evaluated.not_payable),
        *compare_totals(example.totals, evaluated.lines, exponent),
    )


def run_example(spec: ContractSpec, example: Example, evaluate: ExampleEvaluator) -> ExampleOutcome:
    """Evaluate one example and compare; an engine failure is reported, not raised."""
    try:
        evaluated = evaluate(spec, example)
    except Exception as exc:  # the verdict must name the example, not end the whole run
        failure = Difference("engine failed", f"{type(exc).__name__}: {exc}")
        return ExampleOutcome(example.name, (failure,))
    return ExampleOutcome(example.name, compare_example(example, evaluated, spec.contract.exponent))


def run_examples(spec: ContractSpec, evaluate: ExampleEvaluator) -> tuple[ExampleOutcome, ...]:
    """The verdict on every example in the spec, in spec order."""
    return tuple(run_example(spec, example, evaluate) for example in spec.examples)
