"""A spec is bounded work: no anchors or aliases (a few hundred bytes of them expand to millions
of nodes), a size limit, and nesting too deep is a finding, never a crash; on every path (the
loader, `outcomes spec validate`, `outcomes contract load`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
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
