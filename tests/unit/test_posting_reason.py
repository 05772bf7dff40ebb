"""A posting's reason is the engine's text, said once (issue 14: "cut by payer_commitment
(cut by payer_commitment)" came from two places adding the same words)."""

from __future__ import annotations

import pandas as pd

from contract_specs.model import Metric
from ledger.services.postings import posting_columns
from tests.reference.specs import make_spec, prices


def test_a_cut_line_says_what_cut_it_once() -> None:
    diff = pd.DataFrame(
        {
            "participant_id": ["P1", "P2"],
            "metric": ["entry", "entry"],
            "occurrence": [1, 1],
            "payer": ["council", "council"],
            "amount": [10000, -5000],
            "owed": [10000, 0],
            "posted": [0, 5000],
            "postings": [0, 1],
            "last_period": [None, "2015-Q1"],
            "reason": ["entry; share council 100%; cut by payer_commitment"] * 2,
            "cut_by": ["payer_commitment"] * 2,
            "cut_amount": [2500, 7500],
            "tariff": [12500, 12500],
            "achieved_on": ["2015-05-01", "2015-02-01"],
            "evidence_ids": ["E1", "E2"],
            "_merge": ["both", "both"],
            "no_longer_owed": ["no longer owed"] * 2,
        }
    )
    spec = make_spec([Metric("entry", "Entry", tariff=prices("125.00"))])
    columns = posting_columns(diff, "2015-Q2", spec)
    reasons = list(columns["reason"])
    assert [r.count("cut by") for r in reasons] == [1, 1]
    assert reasons[0] == "entry; share council 100%; cut by payer_commitment"
    # the posting keeps which cap cut the line and by how much, and the tariff (issue 18)
    assert list(columns["cut_by"]) == ["payer_commitment"] * 2
    assert list(columns["cut_amount"]) == [2500, 7500]
    assert list(columns["tariff"]) == [12500, 12500]
