"""The code stays as clean as the day it landed: ruff's lint and format, and mypy, as
configured in pyproject.toml, over the whole tree: mypy --strict over the packages, the tests
and the benchmarks (`make lint` / `make typecheck` run the same)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tree_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_strict_over_the_tests_too() -> None:
    """Loosening the check (strict off, a folder dropped) is a decision, not an accident."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    checked = {"contract_specs", "ledger", "reconciliation", "reporting", "synthetic", "api"}
    assert checked | {"bench", "tests"} <= set(config["files"])
    assert config["exclude"] == ["^\\.venv/", "^ledger/storage/migrations/versions/"]
