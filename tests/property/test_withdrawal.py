"""A withdrawal: nothing achieved or sent after it counts, in the engine as in the reference; and
erasing a withdrawn participant's attributes, once their conditions are judged, moves no money."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_specs.model import ContractSpec
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.dates import NO_DAY, day_numbers
from ledger.domain.entitlement.judged import judge_conditions
from ledger.domain.entitlement.people import people_of
from tests.property.strategies import day, facts, specs
from tests.property.test_entitlement_properties import engine_lines, reference_lines
from tests.reference.entitlement import reference_entitlement

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATTRIBUTES = ("date_of_birth", "care_leaver", "region")
Rows = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


@st.composite
def withdrawn_cases(draw: st.DrawFn) -> tuple[ContractSpec, Rows]:
    """A spec and facts where some participants withdrew, on a day among their evidence's."""
    spec = draw(specs())
    people, evidence, results = draw(facts(spec))
    people = [
        {**p, "withdrawn_on": draw(st.one_of(st.none(), st.integers(0, 300).map(day)))}
        for p in people
    ]
    return spec, (people, evidence, results)


def _not_payable(entitlement: Any) -> dict[str, str]:
    frame = entitlement.not_payable
    return dict(zip(frame.evidence_id, frame.reason, strict=True))


@SETTINGS
@given(withdrawn_cases())
def test_after_a_withdrawal_nothing_new_counts_in_the_engine_as_in_the_reference(
    case: tuple[ContractSpec, Rows],
) -> None:
    spec, rows = case
    entitlement = compute_entitlement(spec, facts_from_rows(spec, *rows))
    lines, not_payable = reference_lines(spec, rows)
    assert engine_lines(entitlement) == lines
    assert _not_payable(entitlement) == not_payable
    # the rule itself: no line rests on evidence achieved or sent after its person withdrew
    people, evidence, _ = rows
    withdrawn = {p["participant_id"]: p["withdrawn_on"] for p in people if p["withdrawn_on"]}
    late = {
        e["evidence_id"]
        for e in evidence
        if e["participant_id"] in withdrawn
        and (
            e["achieved_on"] > withdrawn[e["participant_id"]]
            or (
                e["submitted_on"] is not None and e["submitted_on"] > withdrawn[e["participant_id"]]
            )
        )
    }
    used = {i for ids in entitlement.lines["evidence_ids"] for i in str(ids).split(";")}
    assert not used & late


def _erased(spec: ContractSpec, rows: Rows) -> tuple[Rows, pd.DataFrame, dict[Any, Any]]:
    """The rows with withdrawn participants' attributes erased, and their conditions judged
    beforehand: as the engine's `judged` frame, and as the reference's mapping."""
    people, evidence, results = rows
    typed = facts_from_rows(spec, people, evidence, results).participants
    everyone = people_of(spec, typed)
    withdrawn = day_numbers(typed["withdrawn_on"])
    judged = judge_conditions(spec, everyone, withdrawn)
    judged = judged[
        judged["participant_id"].isin(typed["participant_id"][withdrawn != NO_DAY])
    ].reset_index(drop=True)
    mapping: dict[tuple[str, str], tuple[date, date] | None] = {
        (r.participant_id, r.metric): (
            None
            if pd.isna(r.holds_from)
            else (pd.Timestamp(r.holds_from).date(), pd.Timestamp(r.holds_to).date())
        )
        for r in judged.itertuples()
    }
    erased = [{**p, **dict.fromkeys(ATTRIBUTES)} if p["withdrawn_on"] else p for p in people]
    return (erased, evidence, results), judged, mapping


@SETTINGS
@given(withdrawn_cases())
def test_erasing_a_withdrawn_participants_attributes_moves_no_money(
    case: tuple[ContractSpec, Rows],
) -> None:
    spec, rows = case
    before = compute_entitlement(spec, facts_from_rows(spec, *rows))
    erased_rows, judged, mapping = _erased(spec, rows)
    erased_facts = facts_from_rows(spec, *erased_rows)
    after = compute_entitlement(spec, replace(erased_facts, judged=judged))
    assert engine_lines(after) == engine_lines(before)
    assert _not_payable(after) == _not_payable(before)
    # the reference, judging the same way, agrees
    reference = reference_entitlement(spec, *erased_rows, judged=mapping)
    assert reference.not_payable == _not_payable(before)
    assert len(reference.lines) == len(before.lines)
