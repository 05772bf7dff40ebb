"""The CLI starts at once: listing commands and checking a spec import nothing heavy.

Not timed (timings are in bench/, the `cli start` rows); these assert which modules a start
imports, which is what made it slow (STACK.md pitfall 11).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import click
from click.testing import CliRunner

from api.cli import COMMANDS, main, registered
from contract_specs.schema_check import SCHEMA_FORMATS, contract_schema

HEAVY = ("pandas", "sqlalchemy", "rfc3987_syntax", "openpyxl")
EXAMPLE = "contract_specs/examples/fair-chance-fund-ambition.yaml"


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_listing_the_commands_imports_no_heavy_library() -> None:
    loaded = _imported_after(
        "from api.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_validating_a_spec_does_not_compile_the_iri_grammar() -> None:
    loaded = _imported_after(
        "from api.cli import main\ntry:\n"
        f"    main(['spec', 'validate', {EXAMPLE!r}])\nexcept SystemExit:\n    pass"
    )
    assert "jsonschema" in loaded  # the check really ran
    assert not loaded & {"rfc3987_syntax", "pandas", "sqlalchemy"}


def test_the_lazy_help_lines_are_the_commands_own() -> None:
    every = registered(tuple(sorted({m for mods, _ in COMMANDS.values() for m in mods})))
    assert set(every.commands) == set(COMMANDS)
    width = max(len(name) for name in COMMANDS)
    limit = 78 - 6 - width  # click's own formula (an 80-column formatter is 78 wide)
    for name, (modules, line) in COMMANDS.items():
        assert set(registered(modules).commands) >= {name}
        assert every.commands[name].get_short_help_str(limit) == line, name


def test_a_lazily_found_command_runs() -> None:
    result = CliRunner().invoke(main, ["spec", "validate", EXAMPLE])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_an_unknown_command_is_refused_by_name() -> None:
    result = CliRunner().invoke(main, ["nonesuch"])
    assert result.exit_code == 2
    assert "nonesuch" in result.output


def _formats(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return found.union(*(_formats(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_formats(v) for v in schema))
    return set()


def test_the_format_checker_knows_every_format_the_schema_uses() -> None:
    assert _formats(contract_schema()) == SCHEMA_FORMATS


def test_the_group_is_a_click_group() -> None:
    assert isinstance(main, click.Group)
