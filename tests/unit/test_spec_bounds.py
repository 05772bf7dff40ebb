"""A spec is bounded work: no anchors or aliases (a few hundred bytes of them expand to millions
of nodes), a size limit, and nesting too deep is a finding, never a crash; on every path (the
loader, `outcomes spec validate`, `outcomes contract load`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from api.cli.spec_cmds import finding_line
from contract_specs.checks_text import MAX_TEXT
from contract_specs.loader import MAX_SPEC_BYTES, check_spec_text, read_spec_file

SPECS = Path(__file__).parents[1] / "fixtures" / "specs"
VALID = (SPECS / "job_outcomes.yaml").read_text(encoding="utf-8")

# nine times more work for every extra level: the 371-byte spec of the finding had more
BOMB = """spec_language: 1
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]
"""
REFUSED = "anchors and aliases are not allowed in a contract spec: write each value out in full"


def test_aliases_are_refused_at_the_first_anchor() -> None:
    checked = check_spec_text(BOMB, "bomb.yaml")
    assert checked.spec is None
    assert [(f.path, f.line, f.message) for f in checked.errors] == [("$", 2, f"line 2: {REFUSED}")]


def test_a_merge_key_alias_is_refused_too() -> None:
    text = VALID.replace(
        "contract:\n", "defaults: &defaults {currency: GBP}\ncontract:\n  <<: *defaults\n", 1
    )
    checked = check_spec_text(text, "merge.yaml")
    assert [f.message for f in checked.errors] == [f"line {_line(text, '&defaults')}: {REFUSED}"]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_valid_spec_still_loads() -> None:
    assert check_spec_text(VALID, "job_outcomes.yaml").spec is not None


@pytest.mark.parametrize("source", ["deep.yaml", "deep.json"])
def test_nesting_too_deep_is_a_finding(source: str) -> None:
    text = "[" * 100_000 + "]" * 100_000
    checked = check_spec_text(text, source)
    assert checked.spec is None
    assert any("nested too deeply" in f.message for f in checked.errors)


def test_a_spec_over_the_size_limit_is_not_parsed(tmp_path: Path) -> None:
    text = VALID + "#" * MAX_SPEC_BYTES
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    for checked in (check_spec_text(text, "big.yaml"), read_spec_file(path)):
        assert [f.message for f in checked.errors] == [
            f"the spec is {len(text.encode())} bytes: at most {MAX_SPEC_BYTES} bytes are read"
        ]


@pytest.mark.parametrize("verb", [["spec", "validate"], ["contract", "load"]])
def test_the_cli_refuses_aliases_without_a_traceback(
    verb: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.storage.settings import get_settings

    monkeypatch.setenv("OUTCOMES_DATABASE_URL", f"sqlite:///{tmp_path / 'l.sqlite'}")
    get_settings.cache_clear()
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    result = CliRunner().invoke(main, [*verb, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert f"{path}:2: $: line 2: {REFUSED}" in result.output
    get_settings.cache_clear()


# --- every string of a spec is plain text of bounded size (contract_specs.checks_text) -------


def test_a_control_character_in_a_name_is_refused_at_its_json_path() -> None:
    text = VALID.replace("contract:\n", 'contract:\n  name: "Jobs\\aFund"\n', 1)
    text = _without_second_name(text)
    checked = check_spec_text(text, "bell.yaml")
    assert checked.spec is None
    assert ("$.contract.name", "the text contains a control character (U+0007): remove it") in [
        (f.path, f.message) for f in checked.errors
    ]


def test_a_control_character_in_a_key_is_refused_and_shown_escaped() -> None:
    data = json.loads(_as_json(VALID))
    data["contract"]["na\x1bme"] = "x"
    checked = check_spec_text(json.dumps(data), "escape.json")
    found = [(f.path, f.message) for f in checked.errors if "control" in f.message]
    assert found == [
        # the path quotes the key, its backslash escaped as a JSON path escapes one
        ("$.contract['na\\\\u001bme']", "the key contains a control character (U+001B): remove it")
    ]
    # the CLI draws any control character of a finding (the schema's names the key as sent)
    assert all(ch.isprintable() for f in checked.errors for ch in finding_line("escape.json", f))


def test_a_string_over_the_limit_is_refused_and_line_breaks_are_text() -> None:
    data = json.loads(_as_json(VALID))
    data["contract"]["name"] = "A name\twith a tab\nand a second line"
    assert check_spec_text(json.dumps(data), "fine.json").spec is not None
    data["contract"]["name"] = "x" * (MAX_TEXT + 1)
    checked = check_spec_text(json.dumps(data), "long.json")
    assert [(f.path, f.message) for f in checked.errors] == [
        (
            "$.contract.name",
            f"the text is {MAX_TEXT + 1} characters: at most {MAX_TEXT}; shorten it",
        )
    ]


def test_a_version_stored_before_the_text_rules_still_reads() -> None:
    text = _without_second_name(VALID.replace("contract:\n", 'contract:\n  name: "a\\ab"\n', 1))
    assert check_spec_text(text, "old.yaml").spec is None
    assert check_spec_text(text, "old.yaml", stored=True).spec is not None


def _as_json(text: str) -> str:
    spec = check_spec_text(text, "valid.yaml")
    assert spec.spec is not None
    from contract_specs.yaml_lines import read_yaml

    return json.dumps(read_yaml(text).data, default=str)


def _without_second_name(text: str) -> str:
    """The text with the contract's own `name:` line removed (the one added comes first)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("contract:"))
    names = [i for i in range(start + 1, len(lines)) if lines[i].startswith("  name:")]
    del lines[names[1]]
    return "".join(lines)
