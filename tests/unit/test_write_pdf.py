"""The PDF claim draws text from outside as itself: no markup, no formula, no page alias."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from reporting.report import Column, Kind, Report, Table
from reporting.write_pdf import write_pdf

HOSTILE = (
    "<b>P1</b>",
    '=HYPERLINK("http://evil.example","Click")',
    "**P2**",
    "{nb}",
    "P\x07",
    "\u4e2d\u6587",  # a name the font has no glyphs for
    "\ue000\ue001|\x9e\x9f",  # the characters the page count is written at, per font
)


def _claim(ids: tuple[str, ...]) -> Report:
    columns = (Column("participant_id", heading="Participant"), Column("amount", Kind.MONEY))
    frame = pd.DataFrame({"participant_id": list(ids), "amount": [150_000] * len(ids)})
    lines = Table("lines", "Lines", columns, frame.astype("object"))
    return Report(
        kind="commissioner",
        title="Claim REF-1: a contract <i>named</i> so, council, 2015-Q2",
        contract_id="c",
        contract_name="a contract",
        currency="GBP",
        exponent=2,
        period="2015-Q2",
        cut_off=datetime(2015, 7, 5, tzinfo=UTC),
        spec_version=1,
        cover=(("Claim reference", "REF-1"), ("Payer", "<script>council</script>")),
        tables=(lines,),
        main="lines",
        reference="REF-1",
    )


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_text_from_outside_prints_as_itself(tmp_path: Path) -> None:
    out = tmp_path / "claim.pdf"
    pages = write_pdf(_claim(HOSTILE), out)
    text = _text(out)
    for shown in ("<b>P1</b>", '=HYPERLINK("http://evil.example","Click")', "**P2**", "{nb}"):
        assert shown in text, shown
    assert "P^G" in text  # a control character (BEL) in caret notation, visible
    assert "<script>council</script>" in text and "<i>named</i>" in text
    assert f"page 1 of {pages}" in text  # the page count is not the participant's "{nb}"
    assert "£1,500.00" in text
    assert "\ufffd\ufffd" in text  # shown as missing, not silently dropped
    assert "\ufffd\ufffd|" in text  # the page count's characters: never from data


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_without_dejavu_the_core_font_prints_the_same_text_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reporting.write_pdf.FONT_FOLDERS", ())
    out = tmp_path / "claim.pdf"
    pages = write_pdf(_claim(HOSTILE), out)
    text = _text(out)
    assert "<b>P1</b>" in text and "{nb}" in text and "P^G" in text
    assert "??|??" in text  # neither font's page-count characters reach a page from data
    assert f"page 1 of {pages}" in text


def test_the_same_claim_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    write_pdf(_claim(("P1",)), first)
    write_pdf(_claim(("P1",)), second)
    assert first.read_bytes() == second.read_bytes()
