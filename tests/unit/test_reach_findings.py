"""A payer reads a run's findings without another payer's commitment (issue 13, finding 3); the
contract's own caps are the payers' shared terms and stay, as in the commissioner report."""

import pandas as pd

from reconciliation.findings import CAP_COLUMNS
from reconciliation.run_findings import Findings

CAPS = pd.DataFrame(
    [
        ("payer_commitment", "dwp", 280_000, 300_000, "93.3"),
        ("payer_commitment", "topup", 95_000, 100_000, "95.0"),
        ("contract_cap", "dwp-test", 375_000, 400_000, "93.7"),
    ],
    columns=list(CAP_COLUMNS),
)
EMPTY = pd.DataFrame(columns=["x"])
FOUND = Findings(EMPTY, EMPTY, CAPS, EMPTY, totals={"caps_near_exhaustion": 3, "other": 7})


def test_a_payer_sees_its_own_commitment_and_the_shared_caps_only() -> None:
    seen = FOUND.for_payer("dwp")
    assert seen.caps_near_exhaustion[["cap", "subject"]].values.tolist() == [
        ["payer_commitment", "dwp"],
        ["contract_cap", "dwp-test"],
    ]
    assert seen.counts() == {"caps_near_exhaustion": 2, "other": 7}
    assert FOUND.counts()["caps_near_exhaustion"] == 3  # the run's own record is unchanged


def test_a_commissioner_that_pays_nothing_sees_no_commitment() -> None:
    seen = FOUND.for_payer("council")
    assert seen.caps_near_exhaustion["cap"].tolist() == ["contract_cap"]
