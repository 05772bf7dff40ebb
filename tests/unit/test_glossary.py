"""docs/glossary.md defines every column heading a report writes, so it cannot fall behind.

The headings are read from the reports' code, not from a list kept beside it: every `Column(...)`
built anywhere under reporting/ (its first argument is the heading a workbook, csv and json
write; a keyword argument naming a heading or label, if the reports grow one, counts too), and
the ledger export's columns. A heading the code builds at run time from data (not a literal)
must be listed in COMPUTED with where its values come from, or this test fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ledger.domain.finance.forecast import CASES
from ledger.services.export import EXPORT_COLUMNS

ROOT = Path(__file__).parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
HEADING_KEYWORDS = ("heading", "label", "title")

# headings computed from data: (file, the expression's source) -> the values it takes
COMPUTED: dict[tuple[str, str], tuple[str, ...]] = {
    # the caps table has one date column per forecast case
    ("reporting/investor_tables.py", "c.case"): tuple(CASES),
}

# a glossary entry is a table row whose first cell names one or more `headings`
_FIRST_CELL = re.compile(r"^\|([^|]*)\|", re.MULTILINE)
_TERM = re.compile(r"`([^`]+)`")


def _is_column(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "Column") or (
        isinstance(func, ast.Attribute) and func.attr == "Column"
    )


def headings_in(relative: str, source: str) -> tuple[set[str], list[str]]:
    """The headings `source` builds, and the computed ones COMPUTED does not account for."""
    found: set[str] = set()
    unknown: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _is_column(node)):
            continue
        given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "name")]
        given += [k.value for k in node.keywords if k.arg in HEADING_KEYWORDS]
        for value in given:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
            elif (relative, ast.unparse(value)) in COMPUTED:
                found.update(COMPUTED[relative, ast.unparse(value)])
            else:
                unknown.append(f"{relative}:{node.lineno}: Column({ast.unparse(value)})")
    return found, unknown


def report_headings() -> tuple[set[str], list[str]]:
    """Every heading any report writes, and the computed headings not accounted for."""
    found: set[str] = set(EXPORT_COLUMNS)
    unknown: list[str] = []
    for path in sorted((ROOT / "reporting").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        more, odd = headings_in(relative, path.read_text(encoding="utf-8"))
        found |= more
        unknown += odd
    return found, unknown


def glossary_terms() -> set[str]:
    """The headings docs/glossary.md defines."""
    cells = _FIRST_CELL.findall(GLOSSARY.read_text(encoding="utf-8"))
    return {term for cell in cells for term in _TERM.findall(cell)}


def test_every_report_heading_is_in_the_glossary() -> None:
    headings, _ = report_headings()
    missing = sorted(headings - glossary_terms())
    assert missing == [], f"add these report columns to docs/glossary.md: {missing}"


def test_the_glossary_defines_no_column_a_report_does_not_write() -> None:
    headings, _ = report_headings()
    stale = sorted(glossary_terms() - headings)
    assert stale == [], f"no report writes these columns any more: {stale}"


def test_every_computed_heading_is_accounted_for() -> None:
    _, unknown = report_headings()
    assert unknown == [], "a heading built from data: add its values to COMPUTED"


def test_the_scan_finds_the_reports_headings() -> None:
    # a scan that found nothing would pass vacuously: these are written by every kind of report
    headings, _ = report_headings()
    assert {"posting_id", "tariff", "achieved_of_target", "irr_percent", "central"} <= headings


def test_the_scan_reads_literal_computed_and_keyword_headings() -> None:
    source = (
        'A = (Column("amount", Kind.MONEY), Column(name="payer"), '
        'Column("rank", heading="Rank in the waterfall"))\n'
        "B = tuple(Column(c.case, D) for c in cases)\n"
        "C = Column(label_of(x))\n"
    )
    found, unknown = headings_in("reporting/investor_tables.py", source)
    assert found == {"amount", "payer", "rank", "Rank in the waterfall", *CASES}
    assert unknown == ["reporting/investor_tables.py:3: Column(label_of(x))"]
