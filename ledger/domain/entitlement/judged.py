"""A withdrawn participant's metric conditions judged once, before their attributes are erased.

After a withdrawal nothing achieved or sent later counts, so a condition matters only on the
days from the participant's start to their withdrawal. On those days every metric's conditions
hold on one run of days: the rules judged on the start date hold on all of them or none, and an
age at the outcome within min..max holds from the day of the min-th birthday to the day before
the (max+1)-th. That run (clipped to start..withdrawal, so it gives away no more than the
payments do) is all the engine needs to pay exactly what it paid before the erasure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contract_specs.model import AgeAtOutcome, ContractSpec
from ledger.domain.entitlement.dates import NO_DAY, add_months, day_numbers
from ledger.domain.entitlement.people import People, condition_key, rules_hold
from ledger.domain.entitlement.types import no_judgements


def birthday(birth: np.ndarray, years: int) -> np.ndarray:
    """The day each person turns `years` (a 29 February birthday is reached on 1 March in other
    years, as dates.age_in_years counts it)."""
    shifted = add_months(birth, 12 * years)
    # add_months clips 29 Feb to 28 Feb: that day is not yet the birthday
    day_of, day_now = _day_of_month(birth), _day_of_month(shifted)
    return np.asarray(shifted + (day_now < day_of).astype(np.int64), dtype=np.int64)


def _day_of_month(days: np.ndarray) -> np.ndarray:
    as_days = days.astype("datetime64[D]")
    month = as_days.astype("datetime64[M]").astype("datetime64[D]")
    return np.asarray((as_days - month).astype(np.int64), dtype=np.int64)


def judge_conditions(spec: ContractSpec, people: People, withdrawn: np.ndarray) -> pd.DataFrame:
    """For each participant (with `withdrawn` day numbers) and metric with conditions: the first
    and last day from start to withdrawal on which the metric's conditions hold (NaT: none)."""
    frames = []
    for metric in spec.metrics:
        if not metric.conditions:
            continue
        first = np.where(rules_hold(metric.conditions, people), people.start, NO_DAY)
        last = withdrawn.copy()
        for rule in metric.conditions:
            if not isinstance(rule, AgeAtOutcome):
                continue
            column = people.frame.get(rule.attribute)
            birth = day_numbers(column) if column is not None else np.full(len(first), NO_DAY)
            known = birth != NO_DAY
            safe = np.where(known, birth, 0)
            first = np.where(known, first, NO_DAY)
            if rule.min is not None:
                first = np.where(
                    first != NO_DAY, np.maximum(first, birthday(safe, rule.min)), first
                )
            if rule.max is not None:
                last = np.minimum(last, birthday(safe, rule.max + 1) - 1)
        never = (first == NO_DAY) | (first > last)
        frames.append(
            pd.DataFrame(
                {
                    "participant_id": pd.Series(people.ids, dtype="str"),
                    "metric": metric.id,
                    "conditions": condition_key(metric.conditions),
                    "holds_from": _dates(np.where(never, NO_DAY, first)),
                    "holds_to": _dates(np.where(never, NO_DAY, last)),
                }
            )
        )
    if not frames:
        return no_judgements()
    return pd.concat(frames, ignore_index=True)


def _dates(days: np.ndarray) -> pd.Series:
    values = days.astype("datetime64[D]")
    values[days == NO_DAY] = np.datetime64("NaT")
    return pd.Series(values.astype("datetime64[s]"))
