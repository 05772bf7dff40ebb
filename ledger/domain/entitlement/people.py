"""Participants as arrays, and the participant rules (conditions of a metric) evaluated at once:
the rules judged on the start date once per participant, those judged on the day of an outcome
(`age_at_outcome`) once per claim."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contract_specs.canonical import canonical_data
from contract_specs.model import (
    AgeAtOutcome,
    AgeAtStart,
    Condition,
    ContractSpec,
    Flag,
    OneOf,
    Rule,
)
from ledger.domain.entitlement.dates import NO_DAY, age_in_years, day_number, day_numbers


@dataclass(frozen=True)
class People:
    """Enrolled participants, numbered 0..n-1 in the frame's row order."""

    ids: pd.Index
    start: np.ndarray  # int64 day numbers
    cohort: np.ndarray  # str cohort ids
    cohort_number: np.ndarray  # position in spec.cohorts, -1 if the spec does not know it
    provider: np.ndarray  # str
    frame: pd.DataFrame
    # day numbers of withdrawal, NO_DAY for those who have not withdrawn
    withdrawn: np.ndarray | None = None
    # metric position -> (participant numbers, first day, last day the conditions hold; NO_DAY:
    # never): conditions judged before a withdrawn participant's attributes were erased
    judged: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None


def people_of(
    spec: ContractSpec, frame: pd.DataFrame, judged: pd.DataFrame | None = None
) -> People:
    """Number the participants and code their start dates, cohorts and withdrawals; `judged`:
    conditions judged before attributes were erased (types.py)."""
    frame = frame.reset_index(drop=True)
    cohort = frame["cohort"].astype(str).to_numpy(dtype=object)
    numbers = {c.id: i for i, c in enumerate(spec.cohorts)}
    codes, uniques = pd.factorize(cohort)
    cohort_number = np.array([numbers.get(u, -1) for u in uniques], dtype=np.int64)
    ids = pd.Index(frame["participant_id"].astype(str).to_numpy(dtype=object))
    withdrawn = day_numbers(frame["withdrawn_on"]) if "withdrawn_on" in frame else None
    return People(
        ids=ids,
        start=day_numbers(frame["start_date"]),
        cohort=cohort,
        cohort_number=cohort_number[codes] if len(codes) else np.zeros(0, dtype=np.int64),
        provider=frame["provider"].fillna("").astype(str).to_numpy(dtype=object),
        frame=frame,
        withdrawn=withdrawn,
        judged=_judged(spec, ids, judged),
    )


def _judged(
    spec: ContractSpec, ids: pd.Index, judged: pd.DataFrame | None
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    if judged is None or judged.empty:
        return None
    found: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    person = ids.get_indexer(judged["participant_id"].astype(str))
    for position, metric in enumerate(spec.metrics):
        mine = (
            (judged["metric"] == metric.id).to_numpy()
            & (judged["conditions"] == condition_key(metric.conditions)).to_numpy()
            & (person >= 0)
        )
        if mine.any():
            found[position] = (
                person[mine],
                day_numbers(judged["holds_from"])[mine],
                day_numbers(judged["holds_to"])[mine],
            )
    return found


def condition_key(conditions: tuple[Condition, ...]) -> str:
    """A metric's conditions as one text, in the spec language's canonical form: conditions
    judged under one spec are used only while the spec says the same."""
    return json.dumps(canonical_data(conditions), sort_keys=True, separators=(",", ":"))


def rule_holds(rule: Rule, people: People) -> np.ndarray:
    """For each participant, whether the rule holds on the start date (a missing value fails)."""
    if rule.attribute not in people.frame.columns:
        return np.zeros(len(people.ids), dtype=bool)
    column = people.frame[rule.attribute]
    known = column.notna().to_numpy()
    if isinstance(rule, AgeAtStart):
        birth = day_numbers(column)
        known = known & (birth != NO_DAY)
        age = age_in_years(np.where(known, birth, 0), people.start)
        holds = np.ones(len(age), dtype=bool)
        if rule.min is not None:
            holds &= age >= rule.min
        if rule.max is not None:
            holds &= age <= rule.max
        return np.asarray(known & holds)
    if isinstance(rule, Flag):
        values = column.astype(object).where(column.notna(), False).astype(bool).to_numpy()
        return np.asarray(known & (values == rule.value))
    if isinstance(rule, OneOf):
        return np.asarray(known & column.astype(str).isin(rule.values).to_numpy())
    raise TypeError(f"unknown rule {rule!r}")


def rules_hold(rules: tuple[Condition, ...], people: People) -> np.ndarray:
    """Whether every rule judged on the start date holds, for each participant (the rules
    judged on an outcome's day are left to `outcome_rules_hold`)."""
    holds = np.ones(len(people.ids), dtype=bool)
    for rule in rules:
        if not isinstance(rule, AgeAtOutcome):
            holds &= rule_holds(rule, people)
    return holds


def outcome_rules_hold(
    rules: tuple[Condition, ...], people: People, person: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Whether every rule judged on the day of the outcome holds, for each (participant number,
    day number) pair: an age in whole years on that day (a missing birth date fails)."""
    holds = np.ones(len(person), dtype=bool)
    for rule in rules:
        if not isinstance(rule, AgeAtOutcome):
            continue
        if rule.attribute not in people.frame.columns:
            return np.zeros(len(person), dtype=bool)
        birth = day_numbers(people.frame[rule.attribute])[person]
        known = birth != NO_DAY
        age = age_in_years(np.where(known, birth, 0), day)
        holds &= known
        if rule.min is not None:
            holds &= age >= rule.min
        if rule.max is not None:
            holds &= age <= rule.max
    return holds


def enrolment_refused(spec: ContractSpec, people: People) -> np.ndarray:
    """Rows that enrolment would refuse (SEMANTICS 2): an unknown cohort, a start date outside the
    cohort's enrolment window or on/after its cancellation, an eligibility rule that fails, or a
    full cohort (earlier rows take the places). For rows that never went through enrolment, such
    as a spec's examples; stored participants were checked when they were imported."""
    refused = people.cohort_number < 0
    for number, cohort in enumerate(spec.cohorts):
        mine = people.cohort_number == number
        outside = (people.start < day_number(cohort.enrolment_from)) | (
            people.start > day_number(cohort.enrolment_to)
        )
        if cohort.cancelled_on is not None:
            outside |= people.start >= day_number(cohort.cancelled_on)
        refused |= mine & (outside | ~rules_hold(cohort.eligibility, people))
        if cohort.capacity is not None:
            taken = np.cumsum(mine & ~refused)
            refused |= mine & ~refused & (taken > cohort.capacity)
    return refused
