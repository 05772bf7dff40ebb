"""The one rule for an evidence row's status (docs/semantics.md, "Status"), in the pure domain so
that the engine, lowest of the layers, depends on nothing above it.

An evidence row's status is its latest decision (`verified`, `rejected`, `revoked`). With no
decision it is `automatic` when its metric (or, for a measure row, its measure) says
`verification: automatic`, else `pending`. `verified` and `automatic` count; the rest never do.

The facts (ledger.services.facts), the engine (ledger.domain.entitlement.evidence), the decisions
import
(ledger.services.verification, through ledger.services.verification_status) and so `ledger explain`
all read a
row's status here, so they cannot disagree: what the ledger pays as automatic, the decisions
import sees as automatic, and may reject or revoke.

Statuses are small integer codes into STATUSES, one per row in numpy arrays: a contract of a
million participants holds four million evidence rows, so nothing here runs Python per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from contract_specs.model import ContractSpec, Verification
from ledger.domain.entitlement.coding import arrow_text, positions

# status codes: 0 is "not stored" (a decisions file naming no stored row); -1 is not a status
STATUSES = ("", "pending", "verified", "rejected", "revoked", "automatic")
NOT_STORED, PENDING, VERIFIED, REJECTED, REVOKED, AUTOMATIC = range(len(STATUSES))
DECISIONS = ("verified", "rejected", "revoked")  # what a verifier may decide, in this order
COUNTING = (VERIFIED, AUTOMATIC)
# the word each status has in the engine's input frame: automatic evidence reads as verified
# there (reports and findings count it with the verified), the engine's rule knows both words
WORDS = ("pending", "pending", "verified", "rejected", "revoked", "verified")


def code(status: str) -> int:
    """The code of `status` in STATUSES."""
    return STATUSES.index(status)


def codes(values: Any) -> np.ndarray:
    """The code of each text value in STATUSES (-1 for anything else, None included; "" is
    NOT_STORED)."""
    return positions(values, list(STATUSES))


def from_decision_numbers(latest: np.ndarray) -> np.ndarray:
    """Status codes from each row's latest decision as its number in DECISIONS (-1: none, which
    is pending until `standing` says whether it is automatic)."""
    lookup = np.array([*(code(d) for d in DECISIONS), PENDING], dtype=np.int8)
    return lookup[np.where(latest >= 0, latest, len(DECISIONS))]


def automatic_ids(spec: ContractSpec) -> list[str]:
    """The metrics, measures and events of `spec` whose evidence counts without a decision."""
    items = spec.evidence_things()
    return [item.id for item in items if item.verification is Verification.AUTOMATIC]


def is_automatic(metrics: Sequence[str] | pd.Series | np.ndarray, spec: ContractSpec) -> np.ndarray:
    """Per evidence row, whether the metric or measure it names is verified automatically
    (Arrow's hash lookup in C: no Python per row)."""
    if len(metrics) == 0:
        return np.zeros(0, dtype=bool)
    wanted = pa.array(automatic_ids(spec), type=pa.large_string())
    found = pc.is_in(arrow_text(metrics), value_set=wanted).fill_null(False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def standing(decided: np.ndarray, automatic: np.ndarray) -> np.ndarray:
    """The status of each row from `decided` (its status code as decided or written: PENDING
    when there is no decision) and whether its metric is `automatic`: no decision is AUTOMATIC
    on an automatic metric and PENDING elsewhere (the word "automatic" written on a metric that
    requires verification is pending too); every other code is kept."""
    undecided = (decided == PENDING) | (decided == AUTOMATIC)
    return np.where(undecided, np.where(automatic, AUTOMATIC, PENDING), decided).astype(np.int8)


def counts(status: np.ndarray) -> np.ndarray:
    """Which rows count towards payment: verified or automatic."""
    return np.isin(status, COUNTING)


def words(status: np.ndarray) -> pd.Array:
    """The engine's input word of each status code, decoded by Arrow from the codes (no Python
    string per row)."""
    dictionary = pa.array(WORDS, pa.large_string())
    coded = pa.DictionaryArray.from_arrays(status.astype(np.int32), dictionary)
    return pd.array(coded.dictionary_decode(), dtype="str")
