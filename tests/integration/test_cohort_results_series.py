"""Cumulative cohort results through the ledger (issue 16, item 5): each evaluation date is a
result of its own; a correction replaces only its own date; the later result nets off (and
claws back) what the earlier ones paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from contract_specs.model import CohortMetric, Direction, Effect, PerUnitAboveThreshold, Results
from ledger.domain.entitlement import compute_entitlement
from ledger.services.contracts import ActiveSpec
from ledger.services.facts import load_facts
from ledger.services.results import import_results
from ledger.storage.db import unit_of_work

HOUR = timedelta(hours=1)
HEADER = "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference,supersedes\n"


def test_a_series_of_results_keeps_each_evaluation_and_corrects_only_its_own(
    engine: Engine, active: ActiveSpec, now: datetime, tmp_path: Path
) -> None:
    metric = CohortMetric(
        "attainment",
        "Points gained against no comparison",
        ("c1",),
        Direction.HIGHER_IS_BETTER,
        PerUnitAboveThreshold(Decimal("0"), Decimal("10.00")),
        effect=Effect.ABSOLUTE,
        results=Results.CUMULATIVE,
    )
    spec = replace(active.spec, cohort_metrics=(metric,))
    active = replace(active, spec=spec)
    files = [
        "R1,attainment,c1,3,0,100,2016-06-30,year 1,\n",  # 3 points x 100 x 10 = 3000
        "R2,attainment,c1,5,0,100,2017-06-30,year 2,\n",  # 5000: 2000 more
        "R3,attainment,c1,2,0,100,2017-06-30,year 2 corrected,R2\n",  # 2000: claws back
    ]
    for k, text in enumerate(files):
        path = tmp_path / f"r{k}.csv"
        path.write_text(HEADER + text)
        with unit_of_work(engine) as session:
            import_results(session, "dwp-test", active, path, actor="eval", now=now + k * HOUR)

    def owed(at: datetime) -> dict[int, int]:
        with unit_of_work(engine) as session:
            facts = load_facts(session, "dwp-test", at, spec)
        lines = compute_entitlement(spec, facts).lines
        owed: dict[int, int] = lines.groupby("occurrence")["amount"].sum().to_dict()
        return owed

    assert owed(now) == {1: 3000_00}
    assert owed(now + HOUR) == {1: 3000_00, 2: 2000_00}
    # the corrected year 2 is below year 1: year 1's line is cut to it, year 2 pays nothing
    assert owed(now + 2 * HOUR) == {1: 2000_00, 2: 0}
