"""Writing a report to a file in the format asked for: the one place the CLI and the API share.

xlsx is every table with its charts (reporting.write_xlsx); csv the report's main table and json
everything in one document (reporting.write_text).
"""

from __future__ import annotations

from pathlib import Path

from reporting.report import Report
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx

FORMATS = ("xlsx", "csv", "json")


def write_report(report: Report, fmt: str, out: Path) -> None:
    """Write `report` to `out` in `fmt` (xlsx, csv or json)."""
    if fmt == "xlsx":
        write_xlsx(report, out)
        return
    with out.open("w", newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            write_csv(report, handle)
        else:
            write_json(report, handle)
