"""Clocks that restart and stop (SEMANTICS 3.3, decided for issue 16): the prerequisite
occurrence a gap is measured from, and the events that interrupt it.

Both questions are lookups among one participant's dated occurrences: "the latest on or before
a day" and "any strictly between two days". Each is one sort and two binary searches over
(participant, day) keys, for millions of occurrences at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledger.domain.entitlement.dates import NO_DAY


@dataclass(frozen=True)
class Events:
    """Valid evidence rows of events: participant number, event number (its place in
    `spec.events`) and day."""

    person: np.ndarray
    event: np.ndarray
    day: np.ndarray

    def of(self, numbers: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(person, day) of the events with these numbers."""
        chosen = np.isin(self.event, np.array(numbers, dtype=np.int64))
        return self.person[chosen], self.day[chosen]


class _Keys:
    """(participant, day) as one sortable integer; days are offset so every key is positive."""

    def __init__(self, *days: np.ndarray) -> None:
        known = [d[d != NO_DAY] for d in days if len(d)]
        every = np.concatenate(known) if known else np.zeros(1, dtype=np.int64)
        self.low = int(every.min()) - 1 if every.size else 0
        self.span = (int(every.max()) if every.size else 0) - self.low + 2

    def of(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        offset = np.clip(day - self.low, 0, self.span - 1)
        return np.asarray(person.astype(np.int64) * self.span + offset, dtype=np.int64)


def latest_on_or_before(
    source_person: np.ndarray, source_day: np.ndarray, person: np.ndarray, bound: np.ndarray
) -> np.ndarray:
    """For each (person, bound), the latest source day of that person on or before the bound
    (NO_DAY when there is none)."""
    found = np.full(len(person), NO_DAY, dtype=np.int64)
    if len(person) == 0 or len(source_person) == 0:
        return found
    keys = _Keys(source_day, bound)
    order = np.argsort(keys.of(source_person, source_day), kind="stable")
    sorted_keys = keys.of(source_person, source_day)[order]
    # a bound before every day of the contract has no source on or before it
    usable = bound > keys.low
    at = np.searchsorted(sorted_keys, keys.of(person, bound), side="right") - 1
    hit = usable & (at >= 0)
    hit[hit] = source_person[order][at[hit]] == person[hit]
    found[hit] = source_day[order][at[hit]]
    return found


def any_between(
    event_person: np.ndarray,
    event_day: np.ndarray,
    person: np.ndarray,
    after: np.ndarray,
    before: np.ndarray,
) -> np.ndarray:
    """For each (person, after, before), whether that person has an event strictly after
    `after` and strictly before `before`."""
    if len(person) == 0 or len(event_person) == 0:
        return np.zeros(len(person), dtype=bool)
    keys = _Keys(event_day, after, before)
    sorted_keys = np.sort(keys.of(event_person, event_day))
    first = np.searchsorted(sorted_keys, keys.of(person, after), side="right")
    last = np.searchsorted(sorted_keys, keys.of(person, before), side="left")
    return last > first
