"""The vectorised engine against the row-by-row reference, and the invariants of the caps."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import pairwise
from random import Random
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_specs.model import ContractSpec, to_minor
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.schedules import every_metric
from ledger.domain.entitlement.shares import split
from ledger.domain.entitlement.types import Entitlement, Facts
from tests.property.strategies import facts, specs
from tests.reference.entitlement import reference_entitlement

# a case's participants, evidence and results, as the strategies draw them
Rows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
# one entitlement line as a tuple of its key and amount columns
Line = tuple[Any, ...]

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def engine_lines(entitlement: Entitlement) -> set[Line]:
    lines = entitlement.lines
    return {
        (
            row.participant_id,
            row.cohort,
            row.provider,
            row.metric,
            int(row.occurrence),
            row.payer,
            int(row.amount),
            int(row.price),
            pd.Timestamp(row.achieved_on).date(),
            row.evidence_ids,
            row.cut_by,
        )
        for row in lines.itertuples(index=False)
    }


def reference_lines(spec: ContractSpec, rows: Rows) -> tuple[set[Line], dict[str, str]]:
    result = reference_entitlement(spec, *rows)
    lines = {
        (
            x.participant_id,
            x.cohort,
            x.provider,
            x.metric,
            x.occurrence,
            x.payer,
            x.amount,
            x.price,
            x.achieved_on,
            x.evidence_ids,
            x.cut_by,
        )
        for x in result.lines
    }
    return lines, result.not_payable


def engine_facts(spec: ContractSpec, rows: Rows) -> Facts:
    people, evidence, results = rows
    return facts_from_rows(spec, people, evidence, results)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    spec = draw(specs())
    return spec, draw(facts(spec))


@SETTINGS
@given(cases())
def test_engine_matches_the_reference_and_no_cap_is_exceeded(
    case: tuple[ContractSpec, Rows],
) -> None:
    spec, rows = case
    entitlement = compute_entitlement(spec, engine_facts(spec, rows))
    expected_lines, expected_not_payable = reference_lines(spec, rows)
    assert engine_lines(entitlement) == expected_lines
    assert_caps_hold(spec, entitlement.lines)
    assert (
        dict(zip(entitlement.not_payable.evidence_id, entitlement.not_payable.reason, strict=True))
        == expected_not_payable
    )
    # every line key is unique
    keys = entitlement.lines[["participant_id", "metric", "occurrence", "payer"]]
    assert not keys.duplicated().any()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(case: tuple[ContractSpec, Rows], random: Random) -> None:
    spec, (people, evidence, results) = case
    before = compute_entitlement(spec, facts_from_rows(spec, people, evidence, results))
    people, evidence, results = list(people), list(evidence), list(results)
    for shuffled in (people, evidence, results):
        random.shuffle(shuffled)
    after = compute_entitlement(spec, facts_from_rows(spec, people, evidence, results))
    assert engine_lines(before) == engine_lines(after)
    pd.testing.assert_frame_equal(before.lines, after.lines)
    pd.testing.assert_frame_equal(before.not_payable, after.not_payable)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_wanted_lines_are_the_same_lines_as_the_whole_entitlement_filtered(
    case: tuple[ContractSpec, Rows], data: st.DataObject
) -> None:
    spec, rows = case
    facts = engine_facts(spec, rows)
    whole = compute_entitlement(spec, facts).lines
    # a selection on every key column and the date, as reconciliation makes one
    people = sorted(set(whole["participant_id"]))
    chosen = set(data.draw(st.lists(st.sampled_from(people), unique=True)) if people else [])
    by = pd.Timestamp(data.draw(st.dates(date(2015, 1, 1), date(2019, 12, 31))))
    payer = data.draw(st.sampled_from([p.party for p in spec.payers]))

    def wanted(keys: pd.DataFrame) -> np.ndarray:
        return np.asarray(
            (
                keys["participant_id"].astype(str).isin(chosen).to_numpy()
                | (keys["achieved_on"] <= by).to_numpy()
            )
            & (keys["payer"].astype(str) == payer).to_numpy()
            & (keys["occurrence"] >= 1).to_numpy()
        )

    some = compute_entitlement(spec, facts, wanted=wanted, not_payable=False)
    expected = whole[wanted(whole)].reset_index(drop=True)
    pd.testing.assert_frame_equal(some.lines, expected)
    assert some.not_payable.empty
    # the not-payable rows of some participants: exactly theirs, reasons and details unchanged
    unpaid = compute_entitlement(spec, facts).not_payable
    theirs = compute_entitlement(spec, facts, not_payable=chosen | {"nobody"}).not_payable
    mine = unpaid[unpaid["participant_id"].isin(chosen)].reset_index(drop=True)
    pd.testing.assert_frame_equal(theirs, mine)


def assert_caps_hold(spec: ContractSpec, lines: pd.DataFrame) -> None:
    """No cap, commitment or price is ever exceeded."""
    exponent = spec.contract.exponent
    assert (lines["amount"] >= 0).all()
    if spec.caps.contract is not None:
        assert lines["amount"].sum() <= to_minor(spec.caps.contract, exponent)
    if spec.caps.per_participant is not None:
        people = lines[~lines["participant_id"].str.startswith("cohort:")]
        assert (
            people.groupby("participant_id")["amount"].sum()
            <= to_minor(spec.caps.per_participant, exponent)
        ).all()
    for payer in spec.payers:
        if payer.commitment is not None:
            assert lines.loc[lines["payer"] == payer.party, "amount"].sum() <= to_minor(
                payer.commitment, exponent
            )
    per_occurrence = lines.groupby(["participant_id", "metric", "occurrence"])["amount"].sum()
    for metric in every_metric(spec):
        paid = per_occurrence[per_occurrence.index.get_level_values("metric") == metric.id]
        if metric.caps.amount is not None:
            assert paid.sum() <= to_minor(metric.caps.amount, exponent)
        if metric.caps.count is not None:
            assert (paid > 0).sum() <= metric.caps.count
    # no occurrence is paid more than its price
    price = lines.groupby(["participant_id", "metric", "occurrence"])["price"].first()
    assert (per_occurrence <= price).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=20),
    st.lists(st.integers(0, 10000), min_size=0, max_size=3),
)
def test_split_sums_exactly_and_leftovers_go_in_payer_order(
    amounts: list[int], cuts: list[int]
) -> None:
    bounds = [0, *sorted(cuts), 10000]
    numerators = np.array([[b - a for a, b in pairwise(bounds)]] * len(amounts), dtype=np.int64)
    parts = split(np.array(amounts, dtype=np.int64), numerators, 10000)
    assert (parts.sum(axis=1) == np.array(amounts)).all()
    exact = np.array(amounts)[:, None] * numerators / 10000  # only to compare bounds
    assert ((parts - np.floor(exact)) >= 0).all() and ((parts - np.floor(exact)) <= 1).all()
    assert (parts[numerators == 0] == 0).all()
    # the extra minor units go to the first sharing payers
    extra = parts - np.array(amounts)[:, None] * numerators // 10000
    for row, shares in zip(extra, numerators, strict=True):
        given_extra = row[shares > 0]
        assert list(given_extra) == sorted(given_extra, reverse=True)


def test_reference_totals_by_payer_match_for_a_known_case() -> None:
    """A fixed smoke case so a failing property has a readable neighbour."""
    from tests.reference.specs import fact, make_spec, metric, person

    spec = make_spec([metric("entry", "500.00")])
    rows: Rows = (
        [person("P1")],
        [fact("E1", "P1", "entry", "2015-03-01")],
        [],
    )
    totals: dict[str, int] = defaultdict(int)
    for line in reference_entitlement(spec, *rows).lines:
        totals[line.payer] += line.amount
    assert totals == {"dclg": 50000}
    assert (
        engine_lines(compute_entitlement(spec, engine_facts(spec, rows)))
        == reference_lines(spec, rows)[0]
    )
    assert date(2015, 3, 1) in {line[8] for line in reference_lines(spec, rows)[0]}
