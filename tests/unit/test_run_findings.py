"""A run's findings as kept with the run: the most urgent of each kind, the counts of all, and
the same rows back from the stored document."""

from datetime import date, datetime

import pandas as pd

from reconciliation.findings import (
    CAP_COLUMNS,
    PERIOD_COLUMNS,
    UNCLAIMED_COLUMNS,
    VERIFICATION_COLUMNS,
)
from reconciliation.run_findings import Findings


def _unclaimed(overdue: list[int]) -> pd.DataFrame:
    rows = [
        (f"P{n}", "sustained_3m", "entry", date(2015, 2, 1), date(2015, 5, 1), days)
        for n, days in enumerate(overdue)
    ]
    return pd.DataFrame(rows, columns=list(UNCLAIMED_COLUMNS))


FOUND = Findings(
    awaiting_verification=pd.DataFrame(
        [("E1", "P1", "entry", date(2015, 4, 1), 93, "90+", True)],
        columns=list(VERIFICATION_COLUMNS),
    ),
    likely_unclaimed=_unclaimed([5, 40, 12, 40]),
    caps_near_exhaustion=pd.DataFrame(
        [("payer_commitment", "dwp", 280_000, 300_000, "93.3")], columns=list(CAP_COLUMNS)
    ),
    unreconciled_periods=pd.DataFrame(
        [("2015-Q1", datetime(2015, 4, 2), 92)], columns=list(PERIOD_COLUMNS)
    ),
)


def test_the_longest_overdue_are_kept_and_every_one_is_counted() -> None:
    kept = FOUND.most_urgent(limit=2)
    assert kept.likely_unclaimed[["participant_id", "days_overdue"]].values.tolist() == [
        ["P1", 40],
        ["P3", 40],
    ]
    assert kept.counts() == {
        "awaiting_verification": 1,
        "likely_unclaimed": 4,
        "caps_near_exhaustion": 1,
        "unreconciled_periods": 1,
    }


def test_the_stored_document_gives_back_the_same_findings() -> None:
    kept = FOUND.most_urgent(limit=2)
    again = Findings.from_document(kept.document())
    assert again.counts() == kept.counts()
    for kind, frame in kept.frames().items():
        assert again.frames()[kind].values.tolist() == frame.values.tolist(), kind
    assert again.unreconciled_periods["due_at"].tolist() == [datetime(2015, 4, 2)]
