"""Charts that tell the truth, in every kind of report's workbook (issue 14): read from the
file's own XML, no two charts of a sheet share an anchor cell and every line series is written
unsmoothed (`<c:smooth val="0"/>`), so LibreOffice draws straight lines."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import Engine

from ledger.storage.db import unit_of_work
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.write_xlsx import write_xlsx
from tests.integration.test_investor_report import CONTRACT as PETERBOROUGH
from tests.integration.test_investor_report import run, scenario
from tests.integration.test_reports_world import CONTRACT, build_ledger

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"


def truthful_charts(book: Path) -> int:
    """Assert the charts of `book` are each at their own anchor and drawn straight; how many."""
    charts = 0
    with zipfile.ZipFile(book) as z:
        for name in z.namelist():
            if name.startswith("xl/drawings/drawing") and name.endswith(".xml"):
                root = ElementTree.fromstring(z.read(name))
                anchors = [
                    (f.findtext(f"{XDR}col"), f.findtext(f"{XDR}row"))
                    for f in root.iter(f"{XDR}from")
                ]
                assert len(anchors) == len(set(anchors)), f"{name}: two charts at one cell"
            if name.startswith("xl/charts/chart"):
                charts += 1
                root = ElementTree.fromstring(z.read(name))
                for line in root.iter(f"{C}lineChart"):
                    series = line.findall(f"{C}ser")
                    assert series, name
                    for one in series:
                        smooth = one.find(f"{C}smooth")
                        assert smooth is not None and smooth.get("val") in ("0", "false"), name
    return charts


def test_commissioner_and_provider_workbooks_draw_true_charts(
    engine: Engine, tmp_path: Path
) -> None:
    build_ledger(engine, tmp_path / "ledger")
    with unit_of_work(engine) as session:
        write_xlsx(
            commissioner_report(session, CONTRACT, "2015-Q2", "council"), tmp_path / "c.xlsx"
        )
        write_xlsx(provider_report(session, CONTRACT, "2015-Q2"), tmp_path / "p.xlsx")
    assert truthful_charts(tmp_path / "c.xlsx") >= 1
    assert truthful_charts(tmp_path / "p.xlsx") >= 1


def test_the_investor_workbook_draws_true_charts(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    scenario(tmp_path, "", "5580000.00")
    out = tmp_path / "investor.xlsx"
    code, _, err = run(
        "report", "investor", PETERBOROUGH, "--period", "2017-Q3", "--format", "xlsx",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert truthful_charts(out) == 2
