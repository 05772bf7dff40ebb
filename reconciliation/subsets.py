"""Bounded search for a group of amounts that adds up to a target.

Matching money received to claims needs "which of these remittances together pay this claim"
(and the reverse). That is subset sum, exponential in general, so the search is bounded: it
looks at no more than `limit` candidate groups and says when it stopped early, so a user knows
to match the rest by hand rather than trusting a silent miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

# 2**16 groups: enough for a payer settling a dozen or so claims in one payment, small enough
# to run in well under a second in pure Python.
DEFAULT_LIMIT = 65_536


@dataclass(frozen=True)
class SubsetSearch:
    """The positions chosen (empty when none fits) and whether the search hit its limit."""

    chosen: tuple[int, ...]
    limit_reached: bool = False


def find_subset(
    amounts: Sequence[int],
    target: int,
    tolerance: int,
    min_size: int = 2,
    limit: int = DEFAULT_LIMIT,
) -> SubsetSearch:
    """The largest group of `amounts` (by count) summing to `target` within `tolerance`.

    Larger groups are preferred because money paid against a claim should be used up rather
    than left unexplained; among groups of one size an exact total beats a near one, and the
    earliest positions win so the answer does not depend on anything but the input order.
    """
    examined = 0
    for size in range(len(amounts), min_size - 1, -1):
        best: tuple[int, ...] = ()
        best_gap = tolerance + 1
        for group in combinations(range(len(amounts)), size):
            examined += 1
            if examined > limit:
                return SubsetSearch(best, limit_reached=True)
            gap = abs(sum(amounts[i] for i in group) - target)
            if gap < best_gap:
                best, best_gap = group, gap
                if gap == 0:
                    break
        if best:
            return SubsetSearch(best)
    return SubsetSearch(())
