"""Caps and payer commitments, applied exactly in the canonical order, but vectorised.

SEMANTICS 3.6-3.7 describe a sequential walk over payable occurrences in the order
(achieved_on, metric position, participant id):

    amount = min(price, participant cap left, metric amount cap left, contract cap left)
    (0 when the metric's count cap is reached); split it between payers; cut each payer's part
    to its commitment left; every cap is consumed by what is actually payable.

A walk in Python over millions of occurrences is too slow, so this module walks in *passes*.
A pass assumes that no global cap (metric amount or count, contract, payer commitment) binds
from here on; the participant caps alone are then exact per participant (a cumulative sum
clipped at the cap). The pass finds the first row where the assumption fails, accepts every row
before it, works that one row out exactly, and starts again after it. A global cap that binds is
left at zero (amounts are never negative), so every pass exhausts at least one cap: there are
at most (number of global caps + 1) passes. A pass looks at a window of rows that doubles while
no cap binds, so the total work stays a small multiple of the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.domain.entitlement.shares import split

# An uncapped "left" that no amount reaches (and that sums of amounts cannot bring near zero).
UNCAPPED = np.int64(2**62)

_FIRST_WINDOW = 1 << 16

NOT_CUT, PARTICIPANT, METRIC_AMOUNT, METRIC_COUNT, CONTRACT = range(5)
CUT_NAMES = ("", "participant_cap", "metric_amount_cap", "metric_count_cap", "contract_cap")


@dataclass(frozen=True)
class CapRows:
    """Payable occurrences in the canonical order."""

    price: np.ndarray  # int64 minor units
    person: np.ndarray  # participant number, -1 where no participant cap applies (cohort lines)
    metric: np.ndarray  # metric position in the spec
    numerators: np.ndarray  # (rows, payers) share numerators in force
    denominator: int


@dataclass(frozen=True)
class CapLimits:
    """Every cap in minor units; None where the spec sets none."""

    per_participant: int | None
    metric_amount: tuple[int | None, ...]  # by metric position
    metric_count: tuple[int | None, ...]
    contract: int | None
    commitments: tuple[int | None, ...]  # by payer, in spec order
    people: int


@dataclass(frozen=True)
class CapOutcome:
    amount: np.ndarray  # the occurrence's amount after the caps, before commitments
    cut: np.ndarray  # NOT_CUT or the cap that cut the amount
    parts: np.ndarray  # (rows, payers) the split of `amount`
    paid: np.ndarray  # (rows, payers) each part cut to the payer's commitment left


class _Left:
    """What is left of every cap, as the walk goes on."""

    def __init__(self, limits: CapLimits) -> None:
        def left(values: tuple[int | None, ...]) -> np.ndarray:
            return np.array([UNCAPPED if v is None else v for v in values], dtype=np.int64)

        cap = UNCAPPED if limits.per_participant is None else limits.per_participant
        self.person = np.full(limits.people, cap, dtype=np.int64)
        self.metric = left(limits.metric_amount)
        self.count = left(limits.metric_count)
        self.contract = np.int64(UNCAPPED if limits.contract is None else limits.contract)
        self.commitment = left(limits.commitments)

    def consume(self, rows: CapRows, at: slice, paid: np.ndarray) -> None:
        consumed = paid.sum(axis=1)
        person = rows.person[at]
        capped = person >= 0
        np.subtract.at(self.person, person[capped], consumed[capped])
        np.subtract.at(self.metric, rows.metric[at], consumed)
        np.subtract.at(self.count, rows.metric[at], (consumed > 0).astype(np.int64))
        self.contract = self.contract - consumed.sum()
        self.commitment -= paid.sum(axis=0)


def apply_caps(rows: CapRows, limits: CapLimits, first_window: int = _FIRST_WINDOW) -> CapOutcome:
    """Amounts, cuts, parts and paid parts of every occurrence, exactly as the sequential walk.
    (`first_window` only tunes how many rows a pass looks at first.)"""
    size, payers = rows.numerators.shape
    out = CapOutcome(
        amount=np.zeros(size, dtype=np.int64),
        cut=np.zeros(size, dtype=np.int8),
        parts=np.zeros((size, payers), dtype=np.int64),
        paid=np.zeros((size, payers), dtype=np.int64),
    )
    left = _Left(limits)
    start, window = 0, first_window
    while start < size:
        # a pass looks at a window that doubles while no cap binds, so a cap binding early
        # does not make every later pass run to the end of millions of rows
        stop = min(size, start + window)
        accepted = _pass(rows, limits, left, start, stop, out)
        if accepted is None:
            start, window = stop, window * 2
            continue
        _exact_row(rows, limits, left, start + accepted, out)
        start, window = start + accepted + 1, max(first_window, 2 * accepted)
    return out


def _group_cumsum(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return np.asarray(pd.Series(values).groupby(keys, sort=False).cumsum().to_numpy(dtype=np.int64))


def _first(flags: np.ndarray) -> int:
    found = np.flatnonzero(flags)
    return int(found[0]) if found.size else len(flags)


def _pass(
    rows: CapRows, limits: CapLimits, left: _Left, start: int, stop: int, out: CapOutcome
) -> int | None:
    """Rows `start:stop` assuming no new global cap binds; returns how many rows were accepted
    before the first row where one does (None when all were)."""
    at = slice(start, stop)
    price, metric, person = rows.price[at], rows.metric[at], rows.person[at]
    numerators = rows.numerators[at]
    count_out = left.count[metric] <= 0
    metric_out = left.metric[metric] <= 0
    contract_out = bool(left.contract <= 0)
    payer_out = left.commitment <= 0

    wanted = np.where(count_out | metric_out | contract_out, 0, price)
    amount = wanted.copy()
    person_left = np.full(len(price), UNCAPPED, dtype=np.int64)
    if limits.per_participant is not None:
        capped = np.flatnonzero(person >= 0)
        keys, asked = person[capped], wanted[capped]
        # An exhausted payer keeps its share, so the participant consumes less than the
        # amount: then the walk per participant is no longer a clipped sum.
        short = (numerators[capped][:, payer_out] > 0).any(axis=1) & (asked > 0)
        if short.any():
            person_left[capped] = _person_walk(
                rows, left, keys, asked, numerators[capped], payer_out
            )
        else:
            before = _group_cumsum(asked, keys) - asked
            person_left[capped] = np.maximum(left.person[keys] - before, 0)
        amount[capped] = np.minimum(asked, person_left[capped])

    parts = split(amount, numerators, rows.denominator)
    paid = np.where(payer_out[None, :], 0, parts)
    consumed = paid.sum(axis=1)
    cut = np.where(
        amount < price,
        np.where(
            person_left == amount,
            PARTICIPANT,
            np.where(metric_out, METRIC_AMOUNT, CONTRACT),
        ),
        NOT_CUT,
    )
    cut = np.where(count_out, METRIC_COUNT, cut)

    # Where would a global cap not yet exhausted bind? (A cap met exactly binds at the next
    # row that wants something from it, so that row's cut names it.)
    first = len(price)
    amount_capped = np.array([v is not None for v in limits.metric_amount])[metric]
    if amount_capped.any():
        metric_left = left.metric[metric] - (_group_cumsum(consumed, metric) - consumed)
        binds = (amount > metric_left) | ((metric_left <= 0) & (price > 0))
        first = min(first, _first(amount_capped & ~metric_out & binds))
    count_capped = np.array([v is not None for v in limits.metric_count])[metric]
    if count_capped.any():
        positive = (consumed > 0).astype(np.int64)
        count_left = left.count[metric] - (_group_cumsum(positive, metric) - positive)
        first = min(first, _first(count_capped & ~count_out & (count_left <= 0)))
    if limits.contract is not None and not contract_out:
        contract_left = left.contract - (np.cumsum(consumed) - consumed)
        binds = (amount > contract_left) | ((contract_left <= 0) & (price > 0))
        first = min(first, _first(binds))
    for payer, commitment in enumerate(limits.commitments):
        if commitment is not None and not payer_out[payer]:
            first = min(first, _first(np.cumsum(parts[:, payer]) > left.commitment[payer]))

    done = slice(start, start + first)
    out.amount[done] = amount[:first]
    out.cut[done] = cut[:first]
    out.parts[done] = parts[:first]
    out.paid[done] = paid[:first]
    left.consume(rows, done, paid[:first])
    return first if first < len(price) else None


def _person_walk(
    rows: CapRows,
    left: _Left,
    keys: np.ndarray,
    asked: np.ndarray,
    numerators: np.ndarray,
    payer_out: np.ndarray,
) -> np.ndarray:
    """Participant cap left before each row, walking the k-th rows of all participants at once
    (a loop over occurrence ranks, never over participants)."""
    rank = pd.Series(keys).groupby(keys, sort=False).cumcount().to_numpy()
    person = left.person.copy()
    before = np.zeros(len(keys), dtype=np.int64)
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        these = np.flatnonzero(rank == k)
        who = keys[these]
        before[these] = person[who]
        amount = np.minimum(asked[these], person[who])
        parts = split(amount, numerators[these], rows.denominator)
        person[who] -= np.where(payer_out[None, :], 0, parts).sum(axis=1)
    return np.maximum(before, 0)


def _exact_row(rows: CapRows, limits: CapLimits, left: _Left, i: int, out: CapOutcome) -> None:
    """One row worked out exactly as the sequential walk does."""
    price, metric, person = int(rows.price[i]), int(rows.metric[i]), int(rows.person[i])
    if limits.metric_count[metric] is not None and left.count[metric] <= 0:
        amount, cut = 0, METRIC_COUNT
    else:
        limits_left = []
        if limits.per_participant is not None and person >= 0:
            limits_left.append((PARTICIPANT, int(left.person[person])))
        if limits.metric_amount[metric] is not None:
            limits_left.append((METRIC_AMOUNT, int(left.metric[metric])))
        if limits.contract is not None:
            limits_left.append((CONTRACT, int(left.contract)))
        amount = min([price] + [value for _, value in limits_left])
        cut = NOT_CUT
        if amount < price:
            cut = next(code for code, value in limits_left if value == amount)
    parts = split(np.array([amount], dtype=np.int64), rows.numerators[i : i + 1], rows.denominator)
    paid = np.minimum(parts, np.maximum(left.commitment, 0)[None, :])
    out.amount[i], out.cut[i], out.parts[i], out.paid[i] = amount, cut, parts[0], paid[0]
    left.consume(rows, slice(i, i + 1), paid)
