"""Runs the examples embedded in a spec (`outcomes spec test`).

The engine that computes entitlement lives in `ledger`, which this package may not import, so
the caller passes it in as an `ExampleEvaluator` (the CLI passes
`ledger.entitlement.evaluate_example`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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
