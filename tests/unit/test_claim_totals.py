"""Totals by outcome: number x tariff, the payer's exact share, the cut, adding up to the claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from contract_specs.model import Dated, Schedule
from reporting.claim_changes import cut_by
from reporting.claim_totals import CHANGES_ROW, TOTAL_ROW, claim_totals, payer_part
from tests.conftest import small_spec

SPEC = small_spec()
DAY = date(2015, 5, 1)


@pytest.mark.parametrize(
    ("payer", "amount", "expected"),
    [
        ("dwp", 350_000, (280_000, "80.0")),
        ("topup", 350_000, (70_000, "20.0")),
        # a penny left over by the floors goes to the first payer in the spec's order
        ("dwp", 100_001, (80_001, "80.0")),
        ("topup", 100_001, (20_000, "20.0")),
        ("nobody", 100_000, None),
    ],
)
def test_the_payers_part_is_the_engines_exact_split(
    payer: str, amount: int, expected: tuple[int, str] | None
) -> None:
    assert payer_part(SPEC, payer, "job_entry", DAY, amount) == expected


def _line(
    metric: str, amount: int, kind: str = "outcome_payment", reason: str = ""
) -> dict[str, object]:
    tariff = {"job_entry": 350_000, "nqf2": 330_000}.get(metric)
    return {
        "posting_id": f"p{amount}{metric}",
        "participant_id": "acme/P1",
        "metric": metric,
        "occurrence": 1,
        "achieved_on": DAY,
        "tariff": tariff,
        "amount": amount,
        "kind": kind,
        "reason": reason,
        "spec_version": 1,
    }


def test_totals_show_the_cut_and_add_up_to_the_claim() -> None:
    lines = pd.DataFrame(
        [
            _line("job_entry", 280_000),
            _line("job_entry", 280_000),
            _line("nqf2", 100_000, reason="tariff 3300.00; share dwp 80%; cut by participant_cap"),
            _line("job_entry", -280_000, kind="adjustment"),
        ],
        dtype="object",
    )
    table = claim_totals(lines, "dwp", lambda _: SPEC, SPEC)
    rows = {r["outcome"]: r for r in table.frame.to_dict("records")}
    entry = rows["Entry to first employment (13 weeks)"]
    assert (entry["lines"], entry["at_tariff"], entry["payer_share"], entry["cut"]) == (
        2,
        700_000,
        560_000,
        0,
    )
    level2 = rows["First NQF level 2"]
    assert (level2["payer_share"], level2["cut"], level2["lines_cut"]) == (264_000, 164_000, 1)
    assert rows[CHANGES_ROW]["amount"] == -280_000
    total = rows[TOTAL_ROW]
    assert total["amount"] == int(lines["amount"].sum()) == 380_000
    assert total["lines"] == 4 and total["cut"] == 164_000


def test_a_tariff_changed_mid_period_gives_a_row_per_tariff() -> None:
    metric = replace(
        SPEC.metrics[0],
        tariff=Schedule(
            (Dated(date(2015, 1, 1), Decimal("3500.00")), Dated(DAY, Decimal("4000.00")))
        ),
    )
    spec = replace(SPEC, metrics=(metric, *SPEC.metrics[1:]))
    lines = pd.DataFrame(
        [{**_line("job_entry", 280_000), "tariff": 350_000, "achieved_on": date(2015, 4, 1)},
         {**_line("job_entry", 320_000), "tariff": 400_000}],
        dtype="object",
    )  # fmt: skip
    table = claim_totals(lines, "dwp", lambda _: spec, spec)
    found = table.frame[table.frame["metric"] == "job_entry"]
    assert list(found["tariff"]) == [350_000, 400_000]
    assert list(found["cut"]) == [0, 0]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("tariff 3500.00; share dwp 80%", ""),
        ("tariff 3500.00; share dwp 80%; cut by payer_commitment", "payer_commitment"),
        ("entitlement now 0.00, posted so far 450.00: tariff 500.00; cut by contract_cap",
         "contract_cap"),
    ],
)  # fmt: skip
def test_the_limit_that_cut_a_line_is_read_from_its_reason(reason: str, expected: str) -> None:
    assert cut_by(reason) == expected
