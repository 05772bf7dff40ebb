"""facts_from_rows: typed frames from csv-like or YAML-like rows; every problem in one pass;
and evaluate_example on the example specs the project ships."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from contract_specs.model import Measure, Metric, Threshold
from ledger.domain.entitlement import FactsError, evaluate_example, facts_from_rows
from tests.reference.specs import make_spec, prices

EXAMPLES = sorted((Path(__file__).parents[2] / "contract_specs" / "examples").glob("*.yaml"))

SPEC = make_spec(
    [
        Metric(
            "earned",
            "Earned",
            tariff=prices("100.00"),
            threshold=Threshold("earnings", Decimal(768)),
        )
    ],
    measures=(Measure("earnings", "Earnings", "GBP", decimals=2),),
)


def test_strings_as_in_a_csv_file_become_typed_columns() -> None:
    facts = facts_from_rows(
        SPEC,
        [
            {
                "participant_id": "P1",
                "cohort": "c1",
                "provider": "provider-a",
                "start_date": "2015-02-01",
                "date_of_birth": "1996-05-04",
                "care_leaver": "yes",
            }
        ],
        [
            {
                "evidence_id": "E1",
                "participant_id": "P1",
                "metric": "earnings",
                "achieved_on": "2015-03-01",
                "quantity": "768.5",
            },
            {
                "evidence_id": "E2",
                "participant_id": "P1",
                "metric": "earned",
                "achieved_on": date(2015, 3, 2),
                "status": "pending",
                "quantity": "",
            },
        ],
    )
    people, evidence = facts.participants, facts.evidence
    assert people.loc[0, "start_date"].date() == date(2015, 2, 1)
    assert people["care_leaver"].dtype == "boolean"
    assert people["care_leaver"].tolist() == [True]
    assert evidence["quantity"].tolist()[0] == 76850  # pence
    assert evidence["quantity"].isna().tolist() == [False, True]
    assert evidence["status"].tolist() == ["verified", "pending"]
    assert evidence["evidence_type"].tolist() == ["", ""]


def test_every_problem_is_reported_with_its_place() -> None:
    with pytest.raises(FactsError) as caught:
        facts_from_rows(
            SPEC,
            [{"participant_id": "P1", "cohort": "c1", "provider": "", "start_date": "1/2/2015"}],
            [
                {
                    "evidence_id": "E1",
                    "participant_id": "P1",
                    "metric": "earnings",
                    "achieved_on": "2015-03-01",
                    "quantity": "10.005",
                },
                {"evidence_id": "E2", "participant_id": "P1", "metric": "earned"},
                {
                    "evidence_id": "E1",
                    "participant_id": "P1",
                    "metric": "earned",
                    "achieved_on": "2015-03-01",
                },
            ],
        )
    places = [p.place for p in caught.value.problems]
    assert places == [
        "participants[0].provider",
        "participants[0].start_date",
        "evidence[0].quantity",
        "evidence[1].achieved_on",
        "evidence[2].evidence_id",
    ]
    assert "YYYY-MM-DD" in str(caught.value)
    assert "more than 2 decimals" in str(caught.value)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_example_specs_pass_their_own_examples(path: Path) -> None:
    from contract_specs.loader import load_spec

    spec = load_spec(path)
    assert spec.examples, "an example spec without examples tests nothing"
    for example in spec.examples:
        got = evaluate_example(spec, example)
        want_lines = {
            (x.participant_id, x.metric, x.occurrence, x.payer): x.amount for x in example.lines
        }
        got_lines = {
            (x.participant_id, x.metric, x.occurrence, x.payer): x.amount for x in got.lines
        }
        assert got_lines == want_lines, example.name
        for line in example.lines:
            if line.cut_by is not None:
                match = next(
                    g
                    for g in got.lines
                    if (g.participant_id, g.metric, g.occurrence, g.payer)
                    == (line.participant_id, line.metric, line.occurrence, line.payer)
                )
                assert match.cut_by == line.cut_by, example.name
        assert {(n.evidence_id, n.reason) for n in got.not_payable} == {
            (n.evidence_id, n.reason) for n in example.not_payable
        }, example.name
