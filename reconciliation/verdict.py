"""The bridge of a period and its verdict (SEMANTICS.md section 5).

For each payer the bridge walks from what the entitlement says is owed for the period to the
money received against the period's claims, naming every difference by its class:

    owed                (entitlement at the run's cut-off minus postings in earlier periods)
  - not_posted          (owed but not in the ledger: the run did not finish)
  - not_claimed         (posted but not on a claim)
  - <match kind>        (claimed minus received, per kind of match: tolerance, pending, breaks)
  - received
  = unexplained         (must be exactly zero)

A period is `reconciled` only when the unexplained remainder is zero AND no match touching it is
a break or pending: an overpayment on one claim and an underpayment on another add up to zero
but are two breaks, never a reconciled period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from reconciliation.matching import Claim, Match, Matching, Status


class Verdict(StrEnum):
    RECONCILED = "reconciled"
    RECONCILED_WITH_PENDING = "reconciled_with_pending"
    BREAKS = "breaks"
    INCOMPLETE = "incomplete"


# worst first: a period's verdict is the worst of its payers'
_SEVERITY = (
    Verdict.INCOMPLETE,
    Verdict.BREAKS,
    Verdict.RECONCILED_WITH_PENDING,
    Verdict.RECONCILED,
)

NOT_POSTED = "not_posted"
NOT_CLAIMED = "not_claimed"


@dataclass(frozen=True)
class PayerBridge:
    """One payer's walk from owed to received for a period, in minor units."""

    payer: str
    owed: int | None  # None: no completed run, so nothing is known to be owed
    posted: int
    claimed: int
    received: int
    explained: Mapping[str, int] = field(default_factory=dict)
    statuses: frozenset[Status] = frozenset()

    @property
    def unexplained(self) -> int:
        owed = self.posted if self.owed is None else self.owed
        return owed - self.received - sum(self.explained.values())

    @property
    def verdict(self) -> Verdict:
        if self.owed is None or self.explained.get(NOT_POSTED) or self.explained.get(NOT_CLAIMED):
            return Verdict.INCOMPLETE
        if self.unexplained != 0 or Status.BREAK in self.statuses:
            return Verdict.BREAKS
        if Status.PENDING in self.statuses:
            return Verdict.RECONCILED_WITH_PENDING
        return Verdict.RECONCILED


@dataclass(frozen=True)
class PeriodBridge:
    """Every payer's bridge for one period, and the period's verdict (the worst of them)."""

    period: str
    payers: tuple[PayerBridge, ...]
    # False until a run has completed: a period nobody reconciled is never reconciled
    ran: bool = True

    @property
    def verdict(self) -> Verdict:
        if not self.payers:
            return Verdict.RECONCILED if self.ran else Verdict.INCOMPLETE
        return min((p.verdict for p in self.payers), key=_SEVERITY.index)

    @property
    def unexplained(self) -> int:
        return sum(p.unexplained for p in self.payers)


def _touches(found: Match, keys: set[tuple[str, str, int]]) -> bool:
    return bool(keys & set(found.claims)) or any(k in keys for k, _ in found.allocated)


def bridge(
    period: str,
    owed: Mapping[str, int] | None,
    posted: Mapping[str, int],
    claims: Iterable[Claim],
    matching: Matching,
) -> PeriodBridge:
    """The period's bridge per payer.

    `owed` is per payer as the period's last completed run computed it (None when no run has
    completed), `posted` the ledger's postings in the period per payer, `claims` the period's
    claims, `matching` the contract's matching (it may span periods; only the parts that
    concern this period's claims count here).
    """
    period_claims = [c for c in claims if c.period == period]
    payers = sorted(set(posted) | set(owed or {}) | {c.payer for c in period_claims})
    amounts = {c.key: c.amount for c in period_claims}
    rows = []
    for payer in payers:
        keys = {c.key for c in period_claims if c.payer == payer}
        claimed = sum(c.amount for c in period_claims if c.payer == payer)
        explained: dict[str, int] = defaultdict(int)
        paid = posted.get(payer, 0)
        payer_owed = None if owed is None else owed.get(payer, 0)
        if payer_owed is not None:
            explained[NOT_POSTED] += payer_owed - paid
        explained[NOT_CLAIMED] += paid - claimed
        received = 0
        statuses: set[Status] = set()
        for found in matching.matches:
            if not _touches(found, keys):
                continue
            statuses.add(found.status)
            in_period = sum(amounts[k] for k in found.claims if k in keys)
            allocated = sum(part for k, part in found.allocated if k in keys)
            received += allocated
            explained[found.kind.value] += in_period - allocated
        rows.append(
            PayerBridge(
                payer,
                payer_owed,
                paid,
                claimed,
                received,
                {k: v for k, v in explained.items() if v},
                frozenset(statuses),
            )
        )
    return PeriodBridge(period, tuple(rows), ran=owed is not None)
