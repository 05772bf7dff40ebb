"""The limits docs/api.md and docs/deployment.md state are the ones the code enforces: each
number in their tables is the setting's default or the constant that refuses past it (each
refusal itself is tested where it happens: tests/api/test_broken_uploads.py, test_uploads.py,
tests/unit/test_upload_intake.py, tests/integration/test_money_references.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.controllers.params import MAX_INT
from contract_specs.checks_text import MAX_TEXT
from contract_specs.loader import MAX_SPEC_BYTES
from ledger.domain.errors import MAX_LISTED
from ledger.intake.reading import MAX_COLUMNS
from ledger.intake.row_checks import MAX_DIGITS, largest
from ledger.intake.xlsx_reading import XLSX_UNPACK_RATIO
from ledger.services.cash import REFERENCE_MAX as CASH_REFERENCE_MAX
from ledger.storage.settings import Settings
from reconciliation.remittances import REFERENCE_MAX as REMITTANCE_REFERENCE_MAX

DOCS = Path(__file__).parents[2] / "docs"


class _Defaults:
    """The settings' defaults (not this environment's values: a test run may set them)."""

    def __getattr__(self, name: str) -> int:
        return int(Settings.model_fields[name].default)


DEFAULTS = _Defaults()


def _row(doc: str, starts: str) -> str:
    """The table row of `doc` whose first cell starts with `starts`."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith(f"| {starts}")]
    assert len(rows) == 1, (doc, starts, rows)
    return rows[0]


def _numbers(row: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", row)]


@pytest.mark.parametrize(
    ("starts", "expected"),
    [
        ("request body", [DEFAULTS.api_upload_max_bytes]),
        ("rows per upload", [DEFAULTS.api_upload_max_rows]),
        ("an .xlsx unpacked", [XLSX_UNPACK_RATIO]),
        ("columns", [MAX_COLUMNS]),
        ("characters per cell", [DEFAULTS.upload_max_cell_chars]),
        ("a money reference", [REMITTANCE_REFERENCE_MAX, CASH_REFERENCE_MAX]),
        ("a string of a spec", [MAX_TEXT]),
        ("a spec (", [MAX_SPEC_BYTES]),
        ("a version number", [MAX_INT]),
        ("problems listed", [MAX_LISTED]),
    ],
)
def test_each_limit_of_the_api_is_the_codes(starts: str, expected: list[int]) -> None:
    numbers = _numbers(_row("api.md", starts))
    for number in expected:
        assert number in numbers, (starts, number, numbers)


def test_the_largest_number_documented_is_the_largest_accepted() -> None:
    row = _row("api.md", "a number")
    assert f"{MAX_DIGITS} digits" in row
    assert largest(2) in row


@pytest.mark.parametrize(
    ("starts", "api", "cli"),
    [
        ("bytes per file", DEFAULTS.api_upload_max_bytes, DEFAULTS.cli_upload_max_bytes),
        ("rows per file", DEFAULTS.api_upload_max_rows, DEFAULTS.cli_upload_max_rows),
        ("characters per cell", DEFAULTS.upload_max_cell_chars, DEFAULTS.upload_max_cell_chars),
        ("spec size", MAX_SPEC_BYTES, MAX_SPEC_BYTES),
    ],
)
def test_each_limit_of_the_deployment_guide_is_the_codes(starts: str, api: int, cli: int) -> None:
    assert _numbers(_row("deployment.md", starts)) == [api, cli]
