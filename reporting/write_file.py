"""Writing a report to a file in the format asked for: the one place the CLI and the API share.

xlsx is every table with its charts (reporting.write_xlsx); csv the report's main table and json
everything in one document (reporting.write_text); pdf, for a claim pack only, the PDF claim a
payer signs (reporting.write_pdf).
"""

from __future__ import annotations

from pathlib import Path

from reconciliation.errors import Problem
from reporting.errors import ReportError
from reporting.report import Report
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx

FORMATS = ("xlsx", "csv", "json")
CLAIM_FORMATS = (*FORMATS, "pdf")  # a claim pack also prints as the PDF claim a payer signs


def write_report(report: Report, fmt: str, out: Path) -> None:
    """Write `report` to `out` in `fmt` (xlsx, csv, json; pdf for a claim pack)."""
    if fmt == "xlsx":
        write_xlsx(report, out)
        return
    if fmt == "pdf":
        if not report.front:
            raise ReportError([Problem("--format", "pdf is the claim: for a payment report only")])
        from reporting.write_pdf import write_pdf  # fpdf2 loads only when a PDF is asked for

        write_pdf(report, out)
        return
    with out.open("w", newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            write_csv(report, handle)
        else:
            write_json(report, handle)
