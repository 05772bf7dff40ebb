"""A period nothing was claimed for yet: the pack says so, in every format, and adds up to 0."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine

from contract_specs.model import ContractSpec
from ledger.services.contracts import register_spec, remember
from ledger.storage.db import unit_of_work
from reporting.claim_pack import claim_pack
from reporting.combined_claims import combined_claims
from reporting.write_pdf import write_pdf
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx


def test_an_unclaimed_period_says_no_claim_was_issued(
    engine: Engine, spec: ContractSpec, now: datetime, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        register_spec(session, spec, {"test_spec": spec.contract.id}, actor="test", now=now)
        remember(spec)
    with unit_of_work(engine) as session:
        pack = claim_pack(session, spec.contract.id, "2015-Q1", "dwp")
        every = combined_claims(session, spec.contract.id, "2015-Q1")
    for report in (pack, every):
        write_xlsx(report, tmp_path / "pack.xlsx")
        assert write_pdf(report, tmp_path / "pack.pdf") >= 1
        text = io.StringIO()
        write_json(report, text)
        write_csv(report, io.StringIO())
    cover = dict(json.loads(text.getvalue())["cover"])
    assert "Claim reference" not in cover  # the combined view: no payer's claim to name
    assert pack.reference.startswith("no claim issued yet")
    assert every.reference == "no claims issued yet for 2015-Q1"
    write_xlsx(pack, tmp_path / "pack.xlsx")
    first = load_workbook(tmp_path / "pack.xlsx").worksheets[0]
    values = {r[0]: r[1] for r in first.iter_rows(values_only=True) if r and r[0]}
    assert values["Claim reference"] == "no claim issued yet"
    assert values["Amount claimed"] == "0.00 GBP"
    assert values["Last claim"] == "none: this is the payer's first claim"
