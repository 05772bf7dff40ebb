"""`outcomes spec ...`: validate a contract spec and run the examples embedded in it.

The commands only print what `contract_specs` returns as data and turn it into an exit code:
0 when every file is fine, 1 when any has an error or a failing example.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from contract_specs.examples_runner import ExampleEvaluator, run_examples
from contract_specs.findings import Finding
from contract_specs.loader import CheckedSpec, read_spec_file


def finding_line(source: str, finding: Finding) -> str:
    """`FILE:LINE: <json path>: <message>` (no LINE when the place has none)."""
    where = f"{source}:{finding.line}" if finding.line is not None else source
    return f"{where}: {finding}"


def _report_findings(checked: CheckedSpec) -> None:
    for finding in checked.findings:
        click.echo(finding_line(checked.source, finding))


def _evaluator(ctx: click.Context) -> ExampleEvaluator:
    # tests may hand in an evaluator through the context object; otherwise use the real engine,
    # imported here so that `spec validate` works without pandas and the ledger loaded
    obj: Any = ctx.obj
    if isinstance(obj, dict) and obj.get("example_evaluator") is not None:
        evaluator: ExampleEvaluator = obj["example_evaluator"]
        return evaluator
    try:
        engine = importlib.import_module("ledger.domain.entitlement")
        real: ExampleEvaluator = engine.evaluate_example
    except (ImportError, AttributeError) as exc:
        raise click.ClickException(f"the entitlement engine is not available ({exc})") from exc
    return real


def register(main: click.Group) -> None:
    """Add `outcomes spec` to `main`."""

    @main.group()
    def spec() -> None:
        """Check contract specs."""

    @spec.command("validate")
    @click.argument("files", nargs=-1, required=True)
    def validate(files: tuple[str, ...]) -> None:
        """Check each FILE (YAML or JSON): one line per problem, `ok` when there is none."""
        failed = False
        for source in files:
            checked = read_spec_file(source)
            _report_findings(checked)
            if checked.spec is None:
                failed = True
                continue
            spec_ = checked.spec
            click.echo(
                f"{source}: ok ({len(spec_.metrics) + len(spec_.cohort_metrics)} metrics, "
                f"{len(spec_.cohorts)} cohorts, hash {spec_.content_hash})"
            )
        if failed:
            raise SystemExit(1)

    @spec.command("test")
    @click.argument("files", nargs=-1, required=True)
    @click.pass_context
    def test(ctx: click.Context, files: tuple[str, ...]) -> None:
        """Run the examples embedded in each FILE and compare with what they expect."""
        failed = False
        evaluate: ExampleEvaluator | None = None
        for source in files:
            checked = read_spec_file(source)
            if checked.spec is None:
                _report_findings(checked)
                failed = True
                continue
            if not checked.spec.examples:
                click.echo(f"{source}: no examples to run")
                continue
            evaluate = evaluate or _evaluator(ctx)
            outcomes = run_examples(checked.spec, evaluate)
            for outcome in outcomes:
                click.echo(f"{'PASS' if outcome.passed else 'FAIL'} {outcome.name}")
                for difference in outcome.differences:
                    click.echo(f"    {difference}")
            passed = sum(outcome.passed for outcome in outcomes)
            click.echo(f"{source}: {passed} passed, {len(outcomes) - passed} failed")
            failed = failed or passed < len(outcomes)
        if failed:
            raise SystemExit(1)
