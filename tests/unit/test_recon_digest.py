"""The digest a run records of its inputs: equal facts give equal digests, any change differs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from contract_specs.loader import load_spec
from ledger.domain.entitlement.types import Facts
from reconciliation.digest import inputs_hash

SPEC = load_spec(
    Path(__file__).parents[2] / "contract_specs/examples/fair-chance-fund-ambition.yaml"
)


def facts(evidence_ids: list[str | None], types: list[str | None]) -> Facts:
    n = len(evidence_ids)
    return Facts(
        participants=pd.DataFrame(
            {"participant_id": pd.array(["P1", "P2"], dtype="str"), "age": [19, 20]}
        ),
        evidence=pd.DataFrame(
            {
                "evidence_id": pd.array(evidence_ids, dtype="str"),
                "participant_id": pd.array(["P1"] * n, dtype="str"),
                "evidence_type": pd.array(types, dtype="str"),
                "achieved_on": pd.to_datetime([f"2016-01-0{i + 1}" for i in range(n)]),
            }
        ),
        results=pd.DataFrame({"result_id": pd.array([], dtype="str")}),
    )


def test_row_order_does_not_change_the_digest() -> None:
    one = facts(["E1", "E2", "E3"], ["a", "", "c"])
    shuffled = Facts(one.participants.iloc[::-1], one.evidence.iloc[[2, 0, 1]], one.results)
    assert inputs_hash(SPEC, one) == inputs_hash(SPEC, shuffled)


@pytest.mark.parametrize(
    ("ids", "types"),
    [
        (["E1", "E2", "E3"], ["a", "", "x"]),  # one cell changed
        (["E1", "E2", "E3"], ["a", None, "c"]),  # empty became missing
        (["E1", "E2", "E3"], ["a", "c", ""]),  # cells moved between rows
        (["E1", "E2"], ["a", ""]),  # a row fewer
        (["E1", "E2", "E3"], ["a", "", "c "]),  # a trailing space
    ],
)
def test_any_change_to_a_cell_or_row_changes_the_digest(
    ids: list[str | None], types: list[str | None]
) -> None:
    base = inputs_hash(SPEC, facts(["E1", "E2", "E3"], ["a", "", "c"]))
    assert inputs_hash(SPEC, facts(ids, types)) != base


def test_text_cells_cannot_run_together() -> None:
    # "ab" + "c" and "a" + "bc" hold the same bytes: their lengths tell them apart
    assert inputs_hash(SPEC, facts(["E1", "E2"], ["ab", "c"])) != inputs_hash(
        SPEC, facts(["E1", "E2"], ["a", "bc"])
    )
