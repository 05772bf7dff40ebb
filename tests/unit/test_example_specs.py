"""The example specs of real contracts (and the synthetic caps contract) stay valid and right.

Every file in contract_specs/examples must validate with no error, every example embedded in it
must give exactly the lines worked out by hand, and the examples must between them exercise
every metric and every cap the spec declares (so a spec cannot quietly grow an untested rule).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_specs.examples_runner import run_example
from contract_specs.loader import load_spec, read_spec_file
from contract_specs.model import ContractSpec, Example
from ledger.domain.entitlement import evaluate_example

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "contract_specs" / "examples"
SPEC_FILES = sorted(EXAMPLES_DIR.glob("*.yaml"))

# The cut_by name on a line that a cap cut, and the not_payable reason once the cap is used up
# (None: `metric_cap_reached` cannot tell a used-up amount cap from a count cap, so an amount
# cap is only shown exercised by a line it cut).
CAP_WORDS: dict[str, tuple[str, str | None]] = {
    "per_participant": ("participant_cap", "participant_cap_reached"),
    "contract": ("contract_cap", "contract_cap_reached"),
    "metric_count": ("metric_count_cap", "metric_cap_reached"),
    "metric_amount": ("metric_amount_cap", None),
    "commitment": ("payer_commitment", "payer_commitment_exhausted"),
}


def _examples() -> list[tuple[Path, int, str]]:
    cases: list[tuple[Path, int, str]] = []
    for path in SPEC_FILES:
        spec = load_spec(path)
        cases.extend((path, i, example.name) for i, example in enumerate(spec.examples))
    return cases


def test_the_real_contracts_are_all_there() -> None:
    names = {path.stem for path in SPEC_FILES}
    assert {
        "dwp-innovation-fund-round-1",
        "dwp-innovation-fund-round-2",
        "fair-chance-fund-ambition",
        "peterborough",
        "caps-boundaries",
    } <= names


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_spec_validates_without_errors(path: Path) -> None:
    checked = read_spec_file(path)
    assert [str(f) for f in checked.errors] == []
    assert checked.spec is not None
    assert checked.spec.examples, "every example spec carries worked examples"


@pytest.mark.parametrize(
    ("path", "index"),
    [(path, index) for path, index, _ in _examples()],
    ids=[f"{path.stem}:{name}" for path, _, name in _examples()],
)
def test_embedded_example_gives_the_hand_computed_lines(path: Path, index: int) -> None:
    spec = load_spec(path)
    outcome = run_example(spec, spec.examples[index], evaluate_example)
    assert [str(d) for d in outcome.differences] == []


def _paid_metrics(examples: tuple[Example, ...]) -> set[str]:
    return {line.metric for example in examples for line in example.lines if line.amount > 0}


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_examples_pay_every_metric_at_least_once(path: Path) -> None:
    spec = load_spec(path)
    declared = {m.id for m in spec.metrics} | {m.id for m in spec.cohort_metrics}
    assert declared - _paid_metrics(spec.examples) == set()


def _declared_caps(spec: ContractSpec) -> set[str]:
    caps = {name for name in ("per_participant", "contract") if getattr(spec.caps, name)}
    for metric_caps in [m.caps for m in spec.metrics] + [m.caps for m in spec.cohort_metrics]:
        if metric_caps.count is not None:
            caps.add("metric_count")
        if metric_caps.amount is not None:
            caps.add("metric_amount")
    if any(payer.commitment is not None for payer in spec.payers):
        caps.add("commitment")
    return caps


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_examples_reach_every_declared_cap(path: Path) -> None:
    """A cap is exercised when some example expects a line it cuts, or a row it leaves unpaid.

    The big caps of the real contracts (contract cap, commitments) would need thousands of
    rows; caps-boundaries.yaml exercises those on a synthetic contract instead."""
    spec = load_spec(path)
    cut = {line.cut_by for example in spec.examples for line in example.lines}
    reasons = {row.reason for example in spec.examples for row in example.not_payable}
    reached = {
        cap for cap, (cut_name, reason) in CAP_WORDS.items() if cut_name in cut or reason in reasons
    }
    big = {"contract", "commitment"} if path.stem != "caps-boundaries" else set()
    assert _declared_caps(spec) - big - reached == set()
