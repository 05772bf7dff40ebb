"""Conditions judged on the day of the outcome (issue 16, item 3): "aged 16 or over when the
job starts", not when the person was referred."""

from __future__ import annotations

from datetime import date

import pytest

from contract_specs.model import AgeAtOutcome, AgeAtStart, ContractSpec, Metric
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import fact, make_spec, person, prices


def spec_of(*conditions: AgeAtOutcome | AgeAtStart) -> ContractSpec:
    return make_spec(
        [Metric("job_start", "Job start", tariff=prices("500.00"), conditions=conditions)]
    )


@pytest.mark.parametrize(
    ("achieved", "paid"),
    [
        ("2016-06-14", False),  # the day before the 16th birthday
        ("2016-06-15", True),  # the birthday itself
        ("2016-06-16", True),  # the day after
    ],
)
def test_the_age_is_taken_on_the_day_of_the_outcome(achieved: str, paid: bool) -> None:
    spec = spec_of(AgeAtOutcome("date_of_birth", min=16))
    # 15 at start (2016-01-04): an age at start rule would refuse every one of these
    rows = (
        [person("P1", "2016-01-04", date_of_birth=date(2000, 6, 15))],
        [fact("E1", "P1", "job_start", achieved)],
    )
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    assert (int(result.lines["amount"].sum()) == 50000) is paid
    expected = {} if paid else {"E1": "condition_not_met"}
    assert dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True)) == (
        expected
    )
    assert reference_entitlement(spec, *rows, []).not_payable == expected


def test_an_upper_age_at_the_outcome_and_an_age_at_start_together() -> None:
    spec = spec_of(AgeAtStart("date_of_birth", min=14), AgeAtOutcome("date_of_birth", max=17))
    rows = (
        [
            person("P1", "2016-01-04", date_of_birth=date(1998, 3, 1)),  # 17 at start
            person("P2", "2016-01-04", date_of_birth=date(2002, 3, 1)),  # 13 at start
            person("P3", "2016-01-04"),  # no date of birth: fails
        ],
        [
            fact("E1", "P1", "job_start", "2016-02-29"),  # the last day aged 17
            fact("E2", "P2", "job_start", "2016-03-01"),  # 14 by now, but 13 at start
            fact("E3", "P3", "job_start", "2016-03-01"),
        ],
    )
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    assert list(result.lines.loc[result.lines["amount"] > 0, "participant_id"]) == ["P1"]
    expected = {"E2": "condition_not_met", "E3": "condition_not_met"}
    assert dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True)) == (
        expected
    )
    assert reference_entitlement(spec, *rows, []).not_payable == expected
    late = (rows[0], [fact("E4", "P1", "job_start", "2016-03-01")])  # 18 on 1 March
    assert reference_entitlement(spec, *late, []).not_payable == {"E4": "condition_not_met"}
    result = compute_entitlement(spec, facts_from_rows(spec, *late))
    assert list(result.not_payable.reason) == ["condition_not_met"]
