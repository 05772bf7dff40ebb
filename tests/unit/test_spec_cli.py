"""`outcomes spec validate` and `outcomes spec test` through click's CliRunner."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from contract_specs.examples_runner import EvaluatedExample, ExampleEvaluator
from contract_specs.model import ContractSpec, Example, ExpectedLine

SPECS = Path(__file__).parents[1] / "fixtures" / "specs"


def invoke(*args: str, obj: object = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), obj=obj)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def test_three_mistakes_in_one_file_are_all_reported_in_one_run() -> None:
    source = str(SPECS / "three_mistakes.yaml")
    code, out = invoke("spec", "validate", source)
    assert code == 1
    assert len(out) == 3
    cycle, unknown, shares = out
    assert "$.metrics[0].prerequisites[0].metric: prerequisites form a cycle: " in cycle
    assert "accommodation_entry -> accommodation_sustained_3m -> accommodation_entry" in cycle
    assert "$.metrics[2].prerequisites[0].metric: unknown metric `acommodation_sustained_3m`" in (
        unknown
    )
    assert "$.payer_shares[0].shares: payer shares add up to 90, not 100" in shares
    assert all(line.startswith(f"{source}:") for line in out)


def test_a_valid_file_is_ok_with_counts_and_hash() -> None:
    code, out = invoke("spec", "validate", str(SPECS / "job_outcomes.yaml"))
    assert code == 0
    (line,) = out
    assert line.startswith(f"{SPECS / 'job_outcomes.yaml'}: ok (2 metrics, 1 cohorts, hash ")


def test_warnings_are_printed_but_do_not_fail(tmp_path: Path) -> None:
    spec = tmp_path / "capped.yaml"
    text = (SPECS / "job_outcomes.yaml").read_text()
    spec.write_text(text.replace('per_participant: "3000.00"', 'per_participant: "1500.00"'))
    code, out = invoke("spec", "validate", str(spec))
    assert code == 0
    assert any("$.caps.per_participant: warning: " in line for line in out)
    assert ": ok (" in out[-1]


def test_bad_yaml_and_missing_files_give_one_clean_line_each(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("contract: {id: x\n")
    code, out = invoke("spec", "validate", str(broken), str(tmp_path / "nope.yaml"))
    assert code == 1
    assert len(out) == 2
    assert "YAML syntax error" in out[0]
    assert "cannot read the file" in out[1]
    assert not any("Traceback" in line for line in out)


def _engine(amount_for_entry: str) -> ExampleEvaluator:
    def evaluate(spec: ContractSpec, example: Example) -> EvaluatedExample:
        lines = [
            ExpectedLine("P1", "job_entry", "council", Decimal(amount_for_entry)),
            ExpectedLine("P1", "job_entry", "top-up", Decimal("200.00")),
            ExpectedLine("P1", "job_sustained_13w", "council", Decimal("1600.00")),
            ExpectedLine("P1", "job_sustained_13w", "top-up", Decimal("400.00")),
        ]
        return EvaluatedExample(lines=tuple(lines), not_payable=())

    return evaluate


def test_spec_test_passes_an_example_the_engine_agrees_with() -> None:
    code, out = invoke(
        "spec",
        "test",
        str(SPECS / "job_outcomes.yaml"),
        obj={"example_evaluator": _engine("800.00")},
    )
    assert code == 0
    assert out[0] == "PASS entry then sustained"


def test_spec_test_fails_with_a_readable_diff() -> None:
    code, out = invoke(
        "spec",
        "test",
        str(SPECS / "job_outcomes.yaml"),
        obj={"example_evaluator": _engine("750.00")},
    )
    assert code == 1
    assert out[0] == "FAIL entry then sustained"
    assert "different amount: P1 job_entry #1 council: expected 800.00, got 750.00" in out[1]
    assert out[-1].endswith("0 passed, 1 failed")


def test_spec_test_on_an_invalid_spec_prints_its_findings() -> None:
    code, out = invoke(
        "spec",
        "test",
        str(SPECS / "three_mistakes.yaml"),
        obj={"example_evaluator": _engine("800.00")},
    )
    assert code == 1
    assert len(out) == 3
