"""Every evidence row that counts for nothing, with its reason and the numbers behind it.

A row counts when one of its claims belongs to an occurrence that is payable and is paid
something, or is payable at a zero price. Otherwise it keeps the reason of its own checks, or of
the claim on the first metric in the spec (a measure row can back several milestones).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec, Duration, Event, Measure, Metric
from ledger.domain.entitlement.caps import (
    CONTRACT,
    METRIC_AMOUNT,
    METRIC_COUNT,
    PARTICIPANT,
    CapOutcome,
)
from ledger.domain.entitlement.coding import distinct_rows, text_column
from ledger.domain.entitlement.dates import after
from ledger.domain.entitlement.evidence import Rows
from ledger.domain.entitlement.occurrences import Occurrences
from ledger.domain.entitlement.people import People
from ledger.domain.entitlement.reasons import CODE, COUNTS, NAME
from ledger.domain.entitlement.thresholds import Claims
from ledger.domain.entitlement.types import NOT_PAYABLE_COLUMNS

_SLOTS = 32  # more than there are reasons: a (metric position, reason) pair in one integer
_CAP_REASON = {
    PARTICIPANT: CODE["participant_cap_reached"],
    METRIC_AMOUNT: CODE["metric_cap_reached"],
    METRIC_COUNT: CODE["metric_cap_reached"],
    CONTRACT: CODE["contract_cap_reached"],
}


def _paid_nothing(outcome: CapOutcome, price: np.ndarray) -> np.ndarray:
    """The not-payable reason of each payable occurrence after the caps (COUNTS when paid)."""
    reason = np.full(len(price), COUNTS, dtype=np.int8)
    nothing = (outcome.paid.sum(axis=1) == 0) & (price > 0)
    by_cap = np.zeros(len(price), dtype=np.int8)
    for cut, code in _CAP_REASON.items():
        by_cap[outcome.cut == cut] = code
    reason[nothing] = np.where(
        outcome.amount[nothing] == 0, by_cap[nothing], CODE["payer_commitment_exhausted"]
    )
    return reason


def not_payable_frame(
    spec: ContractSpec,
    evidence: pd.DataFrame,
    people: People,
    rows: Rows,
    unused: tuple[np.ndarray, np.ndarray],
    claims: Claims,
    claim_reason: np.ndarray,
    occurrences: Occurrences,
    payable_occurrence: np.ndarray,
    outcome: CapOutcome,
    price: np.ndarray,
    of_people: np.ndarray | None = None,
) -> pd.DataFrame:
    """The not_payable frame (types.NOT_PAYABLE_COLUMNS), sorted by evidence id; only the
    evidence of the participants `of_people` (positions in `people`) when it is given."""
    occurrence_reason = occurrences.reason.copy()
    individual = payable_occurrence >= 0
    occurrence_reason[payable_occurrence[individual]] = _paid_nothing(outcome, price)[individual]

    reason = rows.reason.copy()
    reason[unused[0]] = unused[1]
    deciding = rows.thing.copy()  # which metric's rules decided the row's fate
    claim_code = claim_reason
    if len(occurrence_reason):
        of_occurrence = occurrence_reason[np.maximum(occurrences.of_claim, 0)]
        claim_code = np.where(claim_reason != COUNTS, claim_reason, of_occurrence)
    key = np.where(claim_code == COUNTS, -1, claims.metric * _SLOTS + claim_code)
    best = np.full(len(reason), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, claims.row, key)
    claimed = best != np.iinfo(np.int64).max
    reason[claimed] = np.where(best[claimed] < 0, COUNTS, best[claimed] % _SLOTS)
    deciding[claimed] = np.where(best[claimed] < 0, deciding[claimed], best[claimed] // _SLOTS)

    chosen = np.flatnonzero(reason != COUNTS)
    if of_people is not None:
        chosen = chosen[np.isin(rows.person[chosen], of_people[of_people >= 0])]

    def gathered(name: str) -> Any:
        # only the chosen cells: converting a whole column of 4M ids costs seconds
        return text_column(evidence[name].astype("str").iloc[chosen].to_numpy(dtype=object))

    frame = pd.DataFrame(
        {
            "evidence_id": gathered("evidence_id"),
            "participant_id": gathered("participant_id"),
            "metric": gathered("metric"),
            "achieved_on": evidence["achieved_on"].to_numpy()[chosen],
            "reason": text_column(np.array(NAME, dtype=object)[reason[chosen]]),
            "detail": text_column(
                _details(spec, people, rows, chosen, reason[chosen], deciding[chosen])
            ),
        },
        columns=list(NOT_PAYABLE_COLUMNS),
    )
    return frame.sort_values("evidence_id", kind="stable", ignore_index=True)


_DATED = ("before_start", "achieved_after_submission", "outside_window", "after_last_outcome_date")


def _details(
    spec: ContractSpec,
    people: People,
    rows: Rows,
    chosen: np.ndarray,
    reason: np.ndarray,
    thing: np.ndarray,
) -> np.ndarray:
    """A short text with the numbers behind each reason (no personal data): written once per
    (reason, metric), except the reasons about dates, which show the row's own dates."""
    if len(chosen) == 0:
        return np.empty(0, dtype=object)
    codes, combos = distinct_rows(reason, thing)
    items = spec.evidence_things()
    texts = np.empty(len(combos), dtype=object)
    dated = []
    for k, (code, number) in enumerate(combos.tolist()):
        item = items[number] if 0 <= number < len(items) else None
        if NAME[code] in _DATED:
            dated.append(k)
        else:
            texts[k] = _text(spec, NAME[code], item)
    detail = texts[codes]
    for k in dated:
        these = np.flatnonzero(codes == k)
        code, number = combos[k].tolist()
        item = items[number] if 0 <= number < len(items) else None
        detail[these] = _dated_text(spec, people, rows, chosen[these], NAME[code], item)
    return np.asarray(detail)


def _dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _dated_text(
    spec: ContractSpec,
    people: People,
    rows: Rows,
    chosen: np.ndarray,
    reason: str,
    item: Metric | Measure | Event | None,
) -> np.ndarray:
    achieved = "achieved " + _dates(rows.day[chosen])
    if isinstance(item, Metric) and reason not in ("before_start", "achieved_after_submission"):
        # a measure row: the date the milestone was reached decided, not the row's own
        measure_row = rows.thing[chosen] >= len(spec.metrics)
        achieved = np.where(measure_row, f"{item.id} was reached with this row", achieved)
    if reason == "achieved_after_submission":
        return np.asarray(achieved + " after it was submitted on " + _dates(rows.submitted[chosen]))
    start = people.start[rows.person[chosen]]
    if reason == "outside_window" and isinstance(item, Metric) and item.window is not None:
        return np.asarray(
            achieved + f" after the {item.id} window ends " + _dates(after(start, item.window))
        )
    if reason == "after_last_outcome_date" and spec.contract.last_outcome_date:
        last = spec.contract.last_outcome_date.isoformat()
        return achieved + f" after the last outcome date {last}"
    return np.asarray(achieved + " before start " + _dates(start))


def _words(duration: Duration) -> str:
    """A duration as "3 months", "1 month 2 weeks"."""
    parts = [(duration.months, "month"), (duration.weeks, "week"), (duration.days, "day")]
    said = [f"{count} {unit}{'s' * (count != 1)}" for count, unit in parts if count]
    return " ".join(said) or "0 days"


def _text(spec: ContractSpec, reason: str, item: Metric | Measure | Event | None) -> str:
    name = item.id if item is not None else "?"
    if reason == "not_enrolled":
        return "no enrolled participant with this id"
    if reason == "after_withdrawal":
        # no date: who withdrew, and when, is theirs (reports count withdrawals, never who)
        return "achieved or sent after the participant withdrew their consent"
    if reason == "unknown_metric":
        return "the spec has no metric or measure with this id"
    if reason == "threshold_not_claimable" and isinstance(item, Metric) and item.measure:
        return (
            f"{name} is reached from the rows of measure {item.measure} "
            "(with quantities): send those rows, not the metric itself"
        )
    if reason == "no_units":
        return f"the day's quantities of {name} add up to nothing (a correction of its day)"
    if reason == "below_scale":
        return f"cumulative {name} since start is at or below the lower end of the scale"
    if reason == "max_units_reached" and isinstance(item, Metric) and item.per_unit:
        return f"{name} pays at most {item.per_unit.max_units} units per participant"
    if reason == "not_verified":
        return f"{name} counts only verified evidence"
    if reason in ("rejected", "revoked"):
        return f"the evidence was {reason}"
    if reason == "evidence_type_not_accepted":
        return f"{name} accepts {', '.join(item.evidence_types) if item else ''}"
    if reason == "condition_not_met":
        return f"the participant does not meet the conditions of {name}"
    if reason == "prerequisite_not_met" and isinstance(item, Metric):
        needs = ", ".join(p.metric for p in item.prerequisites)
        return f"{name} needs an earlier valid {needs} (with its minimum gap)"
    if reason == "quantity_missing":
        return f"a row of measure {name} needs a quantity"
    if reason == "threshold_not_reached":
        return f"cumulative {name} since start reached no milestone with this row"
    if reason == "interrupted" and isinstance(item, Metric):
        stops = "; ".join(
            f"{', '.join(p.interrupted_by)} after the {p.metric}"
            for p in item.prerequisites
            if p.interrupted_by
        )
        return f"{name}: interrupted by {stops} it counts from, before this outcome"
    if reason == "too_soon_after_previous" and isinstance(item, Metric) and item.min_spacing:
        return f"{name} counts only {_words(item.min_spacing)} after the previous one that counted"
    if reason == "limit_per_participant" and isinstance(item, Metric):
        return f"{name} pays at most {item.max_per_participant} per participant"
    if reason == "participant_cap_reached":
        return f"participant cap {spec.caps.per_participant} reached"
    if reason == "contract_cap_reached":
        return f"contract cap {spec.caps.contract} reached"
    if reason == "metric_cap_reached" and isinstance(item, Metric):
        amount = "" if item.caps.amount is None else f" {item.caps.amount}"
        count = "" if item.caps.count is None else f" {item.caps.count} occurrences"
        return f"{name} cap{amount}{count} reached"
    if reason == "payer_commitment_exhausted":
        return "the commitments of the payers sharing this outcome are exhausted"
    return reason
