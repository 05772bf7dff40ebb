"""A late first payment is not a correction (issue 14): on the payer's lines it says which
earlier period it was achieved in, and only an adjustment names the period it corrects."""

from __future__ import annotations

from datetime import date

import pandas as pd

from reporting.payment_lines import payment_lines


def test_a_late_outcome_payment_is_labelled_late_not_a_correction() -> None:
    postings = pd.DataFrame(
        {
            "posting_id": ["a", "b"],
            "participant_id": ["P1", "P2"],
            "metric": ["entry", "entry"],
            "occurrence": [1, 1],
            "payer": ["council", "council"],
            "period": ["2015-Q2", "2015-Q2"],
            "amount": [50000, -40000],
            "kind": ["outcome_payment", "adjustment"],
            "reason": ["entry", "entitlement now 100.00, posted so far 500.00: x"],
            "achieved_on": [date(2015, 2, 1), date(2015, 2, 2)],
            "evidence_ids": ["E1", "E2"],
            "corrects_period": ["2015-Q1", "2015-Q1"],
            "spec_version": [1, 1],
            "tariff": pd.array([50000, None], dtype="Int64"),
            "cohort": ["c1", None],  # a posting from before postings kept their cohort
            "provider": ["n", None],
        }
    )
    people = pd.DataFrame(
        {"participant_id": ["P1", "P2"], "cohort": ["c1", "c1"], "provider": ["n", "n"]}
    )
    frame = payment_lines(postings, people, "council", "2015-Q2", {}).frame
    rows = {r["kind"]: r for r in frame.to_dict("records")}
    assert rows["outcome_payment"]["corrects_period"] == ""
    assert rows["outcome_payment"]["late_from_period"] == "2015-Q1"
    assert rows["adjustment"]["corrects_period"] == "2015-Q1"
    assert rows["adjustment"]["late_from_period"] == ""
    # the tariff is the one the posting kept; cohort and provider fall back to the participant
    assert (rows["outcome_payment"]["tariff"], rows["adjustment"]["tariff"]) == (50000, None)
    assert (rows["adjustment"]["cohort"], rows["adjustment"]["provider"]) == ("c1", "n")
