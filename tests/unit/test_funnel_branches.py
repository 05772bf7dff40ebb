"""A funnel with parallel branches (issue 14): entry leads both to a job and to a sustained
tenancy; each branch step is counted against the step it follows, never above 100% of it."""

from __future__ import annotations

import pandas as pd

from contract_specs.loader import check_spec_text
from contract_specs.model import ContractSpec
from reporting.funnel import funnel

SPEC = """
spec_language: 1
contract: {id: branches, name: Branches, currency: GBP, payment_frequency: quarterly,
           service_start: 2025-04-01, last_outcome_date: 2027-03-31}
parties:
  - {id: council, role: commissioner, name: The council}
  - {id: homes, role: provider, name: Homes}
cohorts:
  - {id: main, name: All, enrolment: {from: 2025-04-01, to: 2026-03-31}}
metrics:
  - {id: entry, name: Moves in, evidence_types: [tenancy],
     tariff: [{from: 2025-04-01, price: "100.00"}]}
  - {id: job, name: Starts a job, evidence_types: [payslip],
     prerequisites: [{metric: entry}], tariff: [{from: 2025-04-01, price: "100.00"}]}
  - {id: sustained, name: Sustained 6 months, evidence_types: [tenancy],
     prerequisites: [{metric: entry, min_gap: {months: 6}}],
     tariff: [{from: 2025-04-01, price: "100.00"}]}
  - {id: sustained_12m, name: Sustained 12 months, evidence_types: [tenancy],
     prerequisites: [{metric: sustained, min_gap: {months: 6}}],
     tariff: [{from: 2025-04-01, price: "100.00"}]}
payers: [{party: council}]
payer_shares: [{from: 2025-04-01, shares: {council: "100"}}]
"""


def _spec() -> ContractSpec:
    checked = check_spec_text(SPEC, "branches.yaml")
    assert checked.spec is not None, checked.findings
    return checked.spec


def _evidence(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"participant_id": p, "metric": m, "status": "verified"} for p, m in pairs]
    )


def test_parallel_branches_are_each_counted_against_the_step_they_follow() -> None:
    # 10 entered; 2 got a job; 8 sustained 6 months, 5 of them 12 months
    pairs = [(f"P{i}", "entry") for i in range(10)]
    pairs += [(f"P{i}", "job") for i in range(2)]
    pairs += [(f"P{i}", "sustained") for i in range(8)]
    pairs += [(f"P{i}", "sustained_12m") for i in range(5)]
    rows = funnel(_spec(), _evidence(pairs)).frame.to_dict("records")
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["job"]["after"] == "entry"
    assert by_metric["sustained"]["after"] == "entry"
    assert by_metric["sustained_12m"]["after"] == "sustained"
    assert by_metric["sustained"]["of_previous"] == "80.0"  # of entry, not of job (400%)
    assert by_metric["sustained_12m"]["of_previous"] == "62.5"
    for r in rows:
        assert r["of_previous"] is None or float(r["of_previous"]) <= 100.0
