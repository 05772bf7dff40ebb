"""Checks on each evidence row before occurrences exist (SEMANTICS 3.1): enrolment, metric (a
threshold metric is reached from its measure's rows, never named directly), verification status,
evidence type, quantity, the submission date and the start date. The first failing check names
the row's reason."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec, Metric
from ledger.domain.entitlement.clocks import Events
from ledger.domain.entitlement.coding import positions
from ledger.domain.entitlement.dates import NO_DAY, day_numbers
from ledger.domain.entitlement.people import People
from ledger.domain.entitlement.reasons import CODE, COUNTS
from ledger.domain.entitlement.status import (
    NOT_STORED,
    PENDING,
    REJECTED,
    REVOKED,
    automatic_ids,
    counts,
    standing,
)
from ledger.domain.entitlement.status import codes as status_codes


@dataclass(frozen=True)
class Things:
    """What an evidence row's `metric` column may name: metrics (numbered by their position in the
    spec), then measures, then events (numbered after them)."""

    ids: tuple[str, ...]
    metric_count: int
    automatic: np.ndarray
    evidence_types: tuple[tuple[str, ...], ...]
    # False for a threshold metric: only its measure's rows reach it
    claimable: np.ndarray
    measure_count: int = 0

    def is_measure(self, thing: np.ndarray) -> np.ndarray:
        return (thing >= self.metric_count) & (thing < self.metric_count + self.measure_count)

    def is_event(self, thing: np.ndarray) -> np.ndarray:
        return thing >= self.metric_count + self.measure_count


def things_of(spec: ContractSpec) -> Things:
    """Metrics, measures then events, with their verification and accepted evidence types."""
    items = spec.evidence_things()
    automatic = set(automatic_ids(spec))
    return Things(
        ids=tuple(item.id for item in items),
        metric_count=len(spec.metrics),
        automatic=np.array([item.id in automatic for item in items], dtype=bool),
        evidence_types=tuple(tuple(item.evidence_types) for item in items),
        claimable=np.array(
            [not (isinstance(item, Metric) and item.measure) for item in items], dtype=bool
        ),
        measure_count=len(spec.measures),
    )


@dataclass(frozen=True)
class Rows:
    """Evidence rows coded: participant number, thing number (-1 unknown), day, reason."""

    person: np.ndarray
    thing: np.ndarray
    day: np.ndarray
    submitted: np.ndarray  # day number of the submission, NO_DAY when not known
    quantity: np.ndarray  # int64, 0 where missing
    reason: np.ndarray  # int8 reason code, COUNTS where the row passed these checks


def _codes(values: pd.Series, known: dict[str, int]) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    lookup = np.array([known.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return np.asarray(lookup[codes])  # factorize's -1 (a missing value) picks the trailing -1


def check_rows(spec: ContractSpec, evidence: pd.DataFrame, people: People, things: Things) -> Rows:
    """Code every evidence row and give it the first reason it fails, in SEMANTICS order."""
    person = positions(evidence["participant_id"], people.ids)
    thing = _codes(evidence["metric"], {t: i for i, t in enumerate(things.ids)})
    day = day_numbers(evidence["achieved_on"])
    submitted = day_numbers(evidence["submitted_on"])
    safe_thing = np.maximum(thing, 0)
    automatic = things.automatic[safe_thing] if len(things.ids) else np.zeros(len(thing), bool)
    claimable = things.claimable[safe_thing] if len(things.ids) else np.ones(len(thing), bool)
    # the one status rule (ledger.evidence_status): a missing or empty status is no decision,
    # which counts only where verification is automatic; an unknown word stays -1
    written = status_codes(evidence["status"])
    missing = (written == NOT_STORED) | evidence["status"].isna().to_numpy(dtype=bool)
    status = standing(np.where(missing, PENDING, written), automatic)

    type_codes, type_names = pd.factorize(evidence["evidence_type"].fillna("").astype(str))
    accepted = np.array(
        [[not types or name in types for name in type_names] for types in things.evidence_types],
        dtype=bool,
    ).reshape(len(things.ids), len(type_names))
    type_ok = accepted[safe_thing, type_codes] if accepted.size else np.ones(len(thing), dtype=bool)

    quantity = evidence["quantity"]
    missing_quantity = quantity.isna().to_numpy()
    start = people.start[np.maximum(person, 0)] if len(people.start) else np.zeros_like(day)
    after_withdrawal = np.zeros(len(day), dtype=bool)
    if people.withdrawn is not None and len(people.start):
        # nothing achieved, or sent, after the day the participant withdrew counts
        withdrawn = np.where(person >= 0, people.withdrawn[np.maximum(person, 0)], NO_DAY)
        after_withdrawal = (withdrawn != NO_DAY) & (
            (day > withdrawn) | ((submitted != NO_DAY) & (submitted > withdrawn))
        )
    reason = np.select(
        [
            person < 0,
            thing < 0,
            ~claimable,
            status == REJECTED,
            status == REVOKED,
            ~counts(status),
            ~type_ok,
            things.is_measure(thing) & missing_quantity,
            # a claim about the future: time cannot run backwards (NO_DAY: not known)
            (submitted != NO_DAY) & (day > submitted),
            after_withdrawal,
            day < start,
        ],
        [
            CODE["not_enrolled"],
            CODE["unknown_metric"],
            CODE["threshold_not_claimable"],
            CODE["rejected"],
            CODE["revoked"],
            CODE["not_verified"],
            CODE["evidence_type_not_accepted"],
            CODE["quantity_missing"],
            CODE["achieved_after_submission"],
            CODE["after_withdrawal"],
            CODE["before_start"],
        ],
        default=COUNTS,
    ).astype(np.int8)
    return Rows(
        person=person,
        thing=thing,
        day=day,
        submitted=submitted,
        quantity=quantity.fillna(0).to_numpy(dtype=np.int64),
        reason=reason,
    )


def events_of(rows: Rows, things: Things) -> Events:
    """The rows naming an event that passed every check: they count as that event happening."""
    valid = np.flatnonzero((rows.reason == COUNTS) & things.is_event(rows.thing))
    return Events(
        person=rows.person[valid],
        event=rows.thing[valid] - things.metric_count - things.measure_count,
        day=rows.day[valid],
    )
