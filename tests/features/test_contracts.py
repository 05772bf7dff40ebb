"""Steps for features/contracts: writing a contract spec and checking it with the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_bdd import given, parsers, scenarios, then, when

from api.cli import main
from contract_specs.loader import load_spec
from contract_specs.model import Duration, Prerequisite
from contract_specs.yaml_lines import read_yaml

scenarios("contracts")

# The parts of the test contract a scenario does not write itself, one top-level key each.
BASE_PARTS = {
    "spec_language": "spec_language: 1\n",
    "contract": """contract:
  id: feature-test
  name: Feature test contract
  currency: GBP
  payment_frequency: quarterly
  service_start: 2016-01-01
  referrals_close: 2016-12-31
""",
    "parties": """parties:
  - {id: council, role: commissioner, name: The council}
  - {id: top-up, role: commissioner, name: The top-up fund}
  - {id: provider-a, role: provider, name: Provider A}
""",
    "cohorts": """cohorts:
  - id: referrals-2016
    name: Referrals in 2016
    enrolment: {from: 2016-01-01, to: 2016-12-31}
""",
    "payers": """payers:
  - {party: council}
  - {party: top-up}
""",
    "payer_shares": """payer_shares:
  - {from: 2016-01-01, shares: {council: "80", top-up: "20"}}
""",
}


@dataclass
class Desk:
    """The author's desk: the parts of the contract written so far, and what the CLI said."""

    folder: Path
    parts: dict[str, str] = field(default_factory=lambda: dict(BASE_PARTS))
    written: list[str] = field(default_factory=list)
    exit_code: int | None = None
    output: list[str] = field(default_factory=list)

    def write(self, fragment: str) -> None:
        keys = list(read_yaml(fragment).data)
        for key in keys:
            self.parts.pop(key, None)
        self.parts[" ".join(keys)] = fragment.rstrip("\n") + "\n"
        self.written.append(fragment)

    @property
    def file(self) -> Path:
        path = self.folder / "contract.yaml"
        path.write_text("".join(self.parts.values()))
        return path

    def run(self, *args: str) -> None:
        result = CliRunner().invoke(main, [*args, str(self.file)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        self.exit_code = result.exit_code
        self.output = result.output.splitlines()

    def said(self, path: str, words: str, severity: str = "") -> list[str]:
        marker = f"{path}: {severity}"
        return [line for line in self.output if marker in line and words in line]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path)


@given(parsers.re(r"a contract (with these outcomes|whose payers share each outcome like this):"))
@given("its payers share each outcome like this:")
def a_contract(desk: Desk, docstring: str) -> None:
    desk.write(docstring)


@when("I validate it")
def validate(desk: Desk) -> None:
    desk.run("spec", "validate")


@when("I run its examples")
def run_examples(desk: Desk) -> None:
    desk.run("spec", "test")


@then(parsers.re(r"it is accepted with (?P<metrics>\d+) metrics? and (?P<cohorts>\d+) cohorts?"))
def accepted(desk: Desk, metrics: str, cohorts: str) -> None:
    assert desk.exit_code == 0, desk.output
    assert f": ok ({metrics} metrics, {cohorts} cohorts, hash " in desk.output[-1]


@then("it is refused")
def refused(desk: Desk) -> None:
    assert desk.exit_code == 1, desk.output


@then("sustained employment is only paid 13 weeks or more after a job entry")
def sustained_after_entry(desk: Desk) -> None:
    sustained = load_spec(desk.file).metric("job_sustained_13w")
    assert sustained.prerequisites == (Prerequisite("job_entry", Duration(weeks=13)),)


@then(parsers.parse('I am told "{words}" at "{path}"'))
def told(desk: Desk, words: str, path: str) -> None:
    assert desk.said(path, words), desk.output


@then(parsers.parse('I am warned "{words}" at "{path}"'))
def warned(desk: Desk, words: str, path: str) -> None:
    assert desk.said(path, words, "warning: "), desk.output


@then("I am pointed to the line of the file where those shares are written")
def pointed_to_line(desk: Desk) -> None:
    (said,) = desk.said("$.payer_shares[0].shares", "add up to")
    line = int(said.split(":")[1])
    assert 'shares: {council: "70"' in desk.file.read_text().splitlines()[line - 1]


@then("I am told about each of these mistakes:")
def told_each(desk: Desk, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["where", "what"]
    for where, what in rows:
        assert desk.said(where, what), (where, what, desk.output)
    errors = [line for line in desk.output if ": warning: " not in line]
    assert len(errors) == len(rows), desk.output


@then(parsers.parse('the example "{name}" passes'))
def example_passes(desk: Desk, name: str) -> None:
    assert f"PASS {name}" in desk.output, desk.output
    assert desk.exit_code == 0, desk.output
