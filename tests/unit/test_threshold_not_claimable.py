"""A threshold metric is reached from its measure's rows only (issue 16, item 6).

Evidence naming an earnings milestone itself used to be paid as an ordinary occurrence, with no
earnings rows at all: a provider could claim "earned 768" by saying so."""

from __future__ import annotations

from decimal import Decimal

from contract_specs.model import ContractSpec, Measure, Metric, Threshold
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import fact, make_spec, person, prices


def spec_with_a_milestone() -> ContractSpec:
    return make_spec(
        [
            Metric("job_entry", "Job entry", tariff=prices("1000.00")),
            Metric(
                "earned_768",
                "Earned 768",
                tariff=prices("300.00"),
                threshold=Threshold("earnings", Decimal("768")),
            ),
        ],
        measures=(Measure("earnings", "Earnings", "GBP"),),
    )


def test_evidence_naming_a_threshold_metric_is_not_paid_without_its_measure() -> None:
    spec = spec_with_a_milestone()
    rows = [person("P1")], [fact("E1", "P1", "earned_768", "2015-05-01")]
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    assert int(result.lines["amount"].sum()) == 0
    assert dict(zip(result.not_payable.evidence_id, result.not_payable.reason, strict=True)) == {
        "E1": "threshold_not_claimable"
    }
    (detail,) = result.not_payable.detail
    assert "earnings" in detail
    reference = reference_entitlement(spec, *rows, [])
    assert sum(line.amount for line in reference.lines) == 0
    assert reference.not_payable == {"E1": "threshold_not_claimable"}


def test_the_milestone_is_still_paid_from_its_measure_rows() -> None:
    spec = spec_with_a_milestone()
    rows = (
        [person("P1")],
        [
            fact("E1", "P1", "earned_768", "2015-03-01"),
            fact("E2", "P1", "earnings", "2015-04-01", quantity=Decimal("768")),
        ],
    )
    result = compute_entitlement(spec, facts_from_rows(spec, *rows))
    paid = result.lines[result.lines["amount"] > 0]
    assert list(paid["metric"]) == ["earned_768"]
    assert list(paid["evidence_ids"]) == ["E2"]  # the measure row, not the claim
    assert str(paid["achieved_on"].iloc[0].date()) == "2015-04-01"
    assert reference_entitlement(spec, *rows, []).not_payable == {"E1": "threshold_not_claimable"}


def test_an_upload_naming_a_threshold_metric_is_refused_at_its_row_and_field() -> None:
    import pandas as pd
    import pyarrow as pa

    from ledger.intake.row_checks import ROW, RowChecks
    from ledger.services.evidence import Enrolled, check_rows

    rows = {
        "evidence_id": ["E1", "E2"],
        "participant_id": ["P1", "P1"],
        "metric": ["earned_768", "earnings"],
        "achieved_on": ["2015-05-01", "2015-05-01"],
        "evidence_type": ["", ""],
        "quantity": ["", "768"],
        "reference": ["", ""],
    }
    frame = pd.DataFrame(
        {ROW: pd.array([2, 3], dtype="int64")}
        | {name: pd.array(values, dtype="str") for name, values in rows.items()}
    )
    checks = RowChecks("evidence.csv", frame)
    enrolled = Enrolled(keys=pa.array(["acme/P1"]), providers=pa.array(["acme"]))
    check_rows(checks, spec_with_a_milestone(), enrolled, provider="acme")
    found = [(e.row, e.column, e.message) for e in checks.errors]
    assert len(found) == 1
    row, column, message = found[0]
    assert (row, column) == (2, "metric")
    assert "earned_768" in message and "earnings" in message
