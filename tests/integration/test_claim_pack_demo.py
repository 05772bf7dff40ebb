"""Issue 14's first "Done when", on the demo a newcomer starts with: DCLG's 2016-Q3 claim.

The first sheet names the claim reference and due date, its totals by outcome add up to the
claim, LibreOffice prints the whole workbook on at most 12 A4 pages with the header rows
repeated, and the PDF claim names the reference on every page. Read as a reader gets them:
the workbook's cells, and the printed pages' text (poppler).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from api.demo import DEMO_CONTRACT, build_demo
from ledger.services.contracts import active_spec
from ledger.storage.db import make_engine, unit_of_work, upgrade
from reporting.claim_pack import claim_pack
from reporting.claim_sources import issued_claims
from reporting.write_pdf import write_pdf
from reporting.write_xlsx import write_xlsx

PERIOD, PAYER = "2016-Q3", "dclg"
A4_LANDSCAPE = (842, 595)  # points, as pdfinfo gives them (rounded)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="poppler-utils not installed",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo as `outcomes demo` builds it (600 participants), once for this module."""
    folder = tmp_path_factory.mktemp("demo")
    engine = make_engine(f"sqlite:///{folder / 'demo.sqlite'}")
    upgrade(engine)
    build_demo(engine)
    return engine


@pytest.fixture(scope="module")
def files(demo: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("claim")
    with unit_of_work(demo) as session:
        pack = claim_pack(session, DEMO_CONTRACT, PERIOD, PAYER)
        claims = [c for c in issued_claims(session, DEMO_CONTRACT, PAYER, pack.cut_off)]
        terms = active_spec(session, DEMO_CONTRACT).spec.contract.payment_terms_days
    (claim,) = [c for c in claims if c.period == PERIOD]
    assert claim.due_on == claim.claimed_on + timedelta(days=terms)
    write_xlsx(pack, folder / "claim.xlsx")
    write_pdf(pack, folder / "claim.pdf")
    (folder / "reference").write_text(claim.reference)
    (folder / "due").write_text(claim.due_on.isoformat())
    return {"xlsx": folder / "claim.xlsx", "pdf": folder / "claim.pdf", "folder": folder}


def _pages(pdf: Path) -> list[str]:
    count = _info(pdf)["Pages"]
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, int(count) + 1)
    ]


def _info(pdf: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return dict(
        (k.strip(), v.strip())
        for k, _, v in (line.partition(":") for line in text.stdout.splitlines())
    )


def test_the_first_sheet_names_the_reference_and_the_due_date(files: dict[str, Path]) -> None:
    book = load_workbook(files["xlsx"])
    first = book.worksheets[0]
    assert first.title == "Claim"
    values = {row[0]: row[1] for row in first.iter_rows(values_only=True) if row and row[0]}
    reference = (files["folder"] / "reference").read_text()
    assert reference.startswith("FCF-AMBITION-2016-Q3-DCLG-")
    assert values["Claim reference"] == reference
    assert values["Due on"] == (files["folder"] / "due").read_text()
    assert "Department for Communities and Local Government" in values["Payer"]


def test_the_totals_by_outcome_add_up_to_the_claim(files: dict[str, Path]) -> None:
    book = load_workbook(files["xlsx"])
    sheet_name, cells = next(iter(book.defined_names["claim_totals"].destinations))
    block = list(book[sheet_name][cells.replace("$", "")])
    heads = [c.value for c in block[0]]
    rows = [dict(zip(heads, (c.value for c in row), strict=True)) for row in block[1:]]
    *outcomes, total = rows
    assert total["Outcome"] == "Total: the claim"
    lines = list(book["Lines"].iter_rows(values_only=True))
    at = lines[0].index("Amount")
    claimed = sum(Decimal(str(r[at])) for r in lines[1:])
    assert claimed > 0
    assert sum(Decimal(str(r["Amount claimed"])) for r in outcomes) == claimed
    assert Decimal(str(total["Amount claimed"])) == claimed
    for row in outcomes:
        if row["Tariff"] is not None:  # number x tariff = value; the share less the cut = claimed
            assert Decimal(str(row["Number"])) * Decimal(str(row["Tariff"])) == Decimal(
                str(row["Number x tariff"])
            )
            assert Decimal(str(row["Share of value"])) - Decimal(str(row["Cut by caps"])) == (
                Decimal(str(row["Amount claimed"]))
            )


@needs_poppler
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_prints_the_workbook_on_at_most_12_a4_pages_with_headers(
    files: dict[str, Path],
) -> None:
    out = files["folder"] / "printed"
    out.mkdir(exist_ok=True)
    profile = (out / "profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(files["xlsx"])],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    printed = out / "claim.pdf"
    size = _info(printed)["Page size"].split()
    assert (round(float(size[0])), round(float(size[2]))) == A4_LANDSCAPE
    pages = _pages(printed)
    assert 1 < len(pages) <= 12
    reference = (files["folder"] / "reference").read_text()
    assert all(reference in page for page in pages)  # the footer names the claim
    # every page that prints lines of the Lines sheet has their header row at its top
    lines = [p for p in pages if "ambition/P0" in p and "outcome_payment" in p]
    assert len(lines) >= 2
    assert all("Latest decision" in page for page in lines)  # a heading of the Lines sheet only


@needs_poppler
def test_the_pdf_claim_names_the_reference_on_every_page(files: dict[str, Path]) -> None:
    pages = _pages(files["pdf"])
    reference = (files["folder"] / "reference").read_text()
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert reference in page, number
        assert f"page {number} of {len(pages)}" in page
    assert "Totals by outcome" in pages[0]


def test_a_used_up_commitment_says_so_and_names_the_lines_it_displaced(
    demo: Engine, tmp_path: Path
) -> None:
    # the demo's 2016-Q4 claim to DCLG is 0.00 over 16 lines: late evidence with earlier dates
    # took the room left in DCLG's commitment, and outcomes paid in 2016-Q3 were taken back
    with unit_of_work(demo) as session:
        pack = claim_pack(session, DEMO_CONTRACT, "2016-Q4", PAYER)
        claims = issued_claims(session, DEMO_CONTRACT, PAYER, pack.cut_off)
    write_xlsx(pack, tmp_path / "q4.xlsx")
    book = load_workbook(tmp_path / "q4.xlsx")
    q3 = next(c.reference for c in claims if c.period == PERIOD)

    def rows(name: str) -> list[dict[str, object]]:
        sheet, cells = next(iter(book.defined_names[name].destinations))
        found = list(book[sheet][cells.replace("$", "")])
        heads = [c.value for c in found[0]]
        return [dict(zip(heads, (c.value for c in r), strict=True)) for r in found[1:]]

    lines = pack.table("lines").frame
    taken_back = lines[lines["amount"] < 0]
    changes = rows("claim_changes")
    assert len(changes) == len(taken_back) > 0
    for change in changes:
        assert change["Reverses claim"] == q3  # each quotes the claim it reverses
        assert str(change["Why"]).startswith("displaced: the commitment is used up")
    limits = {str(r["What can no longer be claimed"]): r for r in rows("claim_limits")}
    (used_up,) = [w for w in limits if "is used up" in w]
    assert "commitment of 1,200,000.00 GBP" in used_up
    displaced = limits["taken back from earlier claims, displaced (see what changed)"]
    assert displaced["Lines affected"] == len(taken_back)
    assert Decimal(str(displaced["Amount of those lines"])) * 100 == taken_back["amount"].sum()
    late = lines[lines["late_from_period"] != ""]
    by = limits["displaced them: achieved earlier, evidenced late, paid in this claim"]
    assert by["Lines affected"] == len(late) > 0
    # the commitment was full before this claim and is full after it: what the late lines
    # took is exactly what the displaced lines gave up, so the claim is 0.00
    assert Decimal(str(by["Amount of those lines"])) == -Decimal(
        str(displaced["Amount of those lines"])
    )
    assert lines["amount"].sum() == 0
    (position,) = [r for r in rows("claim_position") if "commitment" in str(r["Limit"])]
    assert position["Left after"] == 0
