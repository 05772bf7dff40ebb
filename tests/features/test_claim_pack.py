"""Steps for features/reporting/claim_pack.feature: the claim pack read as its readers get it,
the workbook's cells (openpyxl) and the PDF's printed text (poppler's pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from ledger.storage.db import unit_of_work
from ledger.storage.keys import local_of
from reporting.claim_pack import claim_pack
from reporting.combined_claims import combined_claims
from reporting.write_pdf import write_pdf
from reporting.write_xlsx import write_xlsx
from tests.integration.test_reports_world import CONTRACT, build_ledger

pytestmark = pytest.mark.usefixtures("pack")

scenarios("reporting/claim_pack.feature")


@dataclass
class Pack:
    engine: Engine
    folder: Path
    book: Workbook | None = None
    pdf: Path | None = None
    combined: Workbook | None = None
    seen: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def pack(engine: Engine, tmp_path: Path) -> Pack:
    return Pack(engine, tmp_path)


def money(text: str) -> Decimal:
    """An amount as the feature writes it ("2,000.00", "2,000.00 GBP")."""
    return Decimal(text.replace(",", "").replace("GBP", "").strip())


def first_sheet(book: Workbook) -> dict[str, Any]:
    return {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}


def block(book: Workbook, name: str) -> list[dict[str, Any]]:
    """The rows of a table found by its defined name, keyed by their headings."""
    sheet, cells = next(iter(book.defined_names[name].destinations))
    rows = list(book[sheet][cells.replace("$", "")])
    heads = [c.value for c in rows[0]]
    return [dict(zip(heads, (c.value for c in row), strict=True)) for row in rows[1:]]


def lines(book: Workbook) -> list[dict[str, Any]]:
    rows = list(book["Lines"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@given("the accommodation contract has been reconciled and claimed for 2015-Q1 and 2015-Q2")
def claimed(pack: Pack) -> None:
    build_ledger(pack.engine, pack.folder / "ledger", reconciled=True)


@when(parsers.parse("the council opens its claim pack for {period}"))
def open_pack(pack: Pack, period: str) -> None:
    out = pack.folder / "claim.xlsx"
    with unit_of_work(pack.engine) as session:
        write_xlsx(claim_pack(session, CONTRACT, period, "council"), out)
    pack.book = load_workbook(out)


@when(parsers.parse("the council downloads the claim for {period} as a PDF"))
def download_pdf(pack: Pack, period: str) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    open_pack(pack, period)
    pack.pdf = pack.folder / "claim.pdf"
    with unit_of_work(pack.engine) as session:
        write_pdf(claim_pack(session, CONTRACT, period, "council"), pack.pdf)


@when(parsers.parse("the SIB manager opens the claims for {period} for every payer"))
def open_combined(pack: Pack, period: str) -> None:
    out = pack.folder / "every-payer.xlsx"
    with unit_of_work(pack.engine) as session:
        write_xlsx(combined_claims(session, CONTRACT, period), out)
        for payer in ("council", "top-up"):
            theirs = claim_pack(session, CONTRACT, period, payer)
            pack.seen[payer] = int(theirs.table("lines").frame["amount"].sum())
    pack.combined = load_workbook(out)


@then("the first sheet names the claim reference, the day it was issued and the day it is due")
def names_the_claim(pack: Pack) -> None:
    assert pack.book is not None
    assert pack.book.worksheets[0].title == "Claim"
    cover = first_sheet(pack.book)
    assert cover["Claim reference"] == "REP-TEST-2015-Q2-COUNCIL-2"
    assert (cover["Issued on"], cover["Due on"]) == ("2015-07-05", "2015-08-04")  # 30 days


@then(parsers.parse('the first sheet says the claim is from "{payer}" and for {amount}'))
def from_payer(pack: Pack, payer: str, amount: str) -> None:
    assert pack.book is not None
    cover = first_sheet(pack.book)
    assert cover["Payer"] == payer
    assert cover["Payee"]  # who is paid is named
    assert cover["Amount claimed"] == amount


@then("the totals by outcome add up to the claim, line by line")
def totals_add_up(pack: Pack) -> None:
    assert pack.book is not None
    *outcomes, total = block(pack.book, "claim_totals")
    claimed = sum(Decimal(str(r["Amount"])) for r in lines(pack.book))
    assert sum(Decimal(str(r["Amount claimed"])) for r in outcomes) == claimed
    assert Decimal(str(total["Amount claimed"])) == claimed
    assert total["Number"] == len(lines(pack.book))


@then(
    parsers.parse(
        'the totals show {count:d} "{outcome}" at {tariff}, our {share}% share {amount}, '
        "nothing cut"
    )
)
def totals_row(pack: Pack, count: int, outcome: str, tariff: str, share: str, amount: str) -> None:
    assert pack.book is not None
    (row,) = [r for r in block(pack.book, "claim_totals") if r["Outcome"] == outcome]
    assert row["Number"] == count
    assert Decimal(str(row["Tariff"])) == money(tariff)
    assert Decimal(str(row["Number x tariff"])) == count * money(tariff)
    assert Decimal(str(row["Payer's share"])) * 100 == Decimal(share)
    assert Decimal(str(row["Share of value"])) == money(amount)
    assert Decimal(str(row["Cut by caps"])) == 0 and row["Lines cut"] == 0
    assert Decimal(str(row["Amount claimed"])) == money(amount)


@then(
    parsers.parse('what changed since the last claim takes back {amount} for {who}\'s "{outcome}"')
)
def takes_back(pack: Pack, amount: str, who: str, outcome: str) -> None:
    assert pack.book is not None
    (change,) = block(pack.book, "claim_changes")
    assert local_of(change["Participant"]) == who and change["Outcome"] == outcome
    assert Decimal(str(change["Amount"])) == -money(amount)
    pack.seen["change"] = change


@then(
    parsers.parse(
        "that change quotes the {period} claim it reverses and says its evidence was revoked"
    )
)
def quotes_the_claim(pack: Pack, period: str) -> None:
    assert pack.book is not None
    change = pack.seen["change"]
    assert change["Reverses claim"] == f"REP-TEST-{period}-COUNCIL-1"
    assert "revoked" in change["Why"]
    assert first_sheet(pack.book)["Last claim"].startswith(change["Reverses claim"])


@then(
    parsers.parse(
        "the council's commitment had {before} left before this claim and has {after} left after it"
    )
)
def commitment(pack: Pack, before: str, after: str) -> None:
    assert pack.book is not None
    (row,) = [r for r in block(pack.book, "claim_position") if "commitment" in r["Limit"]]
    assert Decimal(str(row["Left before"])) == money(before)
    assert Decimal(str(row["Left after"])) == money(after)
    assert Decimal(str(row["Left before"])) - Decimal(str(row["This period"])) == money(after)


@then("every line says its evidence type, when it was submitted, who verified it and when")
def audit_columns(pack: Pack) -> None:
    assert pack.book is not None
    found = lines(pack.book)
    assert found
    for line in found:
        assert line["Evidence type"], line
        assert line["Submitted at (UTC)"] is not None, line
        assert line["Verified by"] == "verifier", line
        assert line["Verified at (UTC)"] >= line["Submitted at (UTC)"], line


@then("the headings are in words, not field names")
def in_words(pack: Pack) -> None:
    assert pack.book is not None
    for sheet in pack.book.worksheets[1:]:
        heads = [c.value for c in sheet[1] if c.value]
        assert heads, sheet.title
        assert not [h for h in heads if "_" in str(h)], sheet.title


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


@then("every page names the claim reference and says which page of how many it is")
def every_page(pack: Pack) -> None:
    assert pack.pdf is not None
    pages = _pdf_pages(pack.pdf)
    for number, page in enumerate(pages, start=1):
        assert "REP-TEST-2015-Q2-COUNCIL-2" in page, number
        assert f"page {number} of {len(pages)}" in page, number


@then(parsers.parse("the PDF claims the same {amount} as the workbook"))
def same_amount(pack: Pack, amount: str) -> None:
    assert pack.pdf is not None and pack.book is not None
    text = " ".join(_pdf_pages(pack.pdf))
    assert first_sheet(pack.book)["Amount claimed"] == f"{amount} GBP"
    assert f"{amount} GBP" in text  # the claim's own line
    (total,) = [r for r in block(pack.book, "claim_totals") if r["Outcome"] == "Total: the claim"]
    assert money(amount) == Decimal(str(total["Amount claimed"]))
    assert f"£{amount}" in text  # the totals' last row, as the workbook shows it


@then("it lists the council's and the top-up fund's claims, each with its reference")
def every_payer(pack: Pack) -> None:
    assert pack.combined is not None
    rows = block(pack.combined, "claims_by_payer")
    assert [r["Payer"] for r in rows] == ["council", "top-up"]
    assert [r["Claim reference"] for r in rows] == [
        "REP-TEST-2015-Q2-COUNCIL-2",
        "REP-TEST-2015-Q2-TOP-UP-2",
    ]
    assert [Decimal(str(r["Amount claimed"])) for r in rows] == [
        Decimal(pack.seen[p]) / 100 for p in ("council", "top-up")
    ]


@then(parsers.parse("their amounts add up to everything claimed for {period}"))
def add_up(pack: Pack, period: str) -> None:
    assert pack.combined is not None
    rows = block(pack.combined, "claims_by_payer")
    every = lines(pack.combined)
    assert {line["Payer"] for line in every} == {"council", "top-up"}
    assert sum(Decimal(str(r["Amount claimed"])) for r in rows) == sum(
        Decimal(str(line["Amount"])) for line in every
    )
