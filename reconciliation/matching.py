"""Matching money received (remittances) against claims (SEMANTICS.md section 5).

Pure functions over plain data. Passes, strongest evidence first:

1. exact copies of an earlier remittance are duplicates;
2. exact: a remittance quoting one claim's reference, for exactly its amount;
3. within tolerance: quoting one claim, within the contract's remittance tolerance;
4. split: several remittances quoting one claim, together paying it;
5. combined: one remittance quoting several claims of its payer, paying them together;
6. what is left becomes a break (underpaid, overpaid, duplicate, unknown reference) or, for a
   claim still inside its payment terms, pending; an unpaid claim past its due date is
   unpaid_overdue.

Every claim and every remittance ends in exactly one `Match`. A remittance that quotes no claim
of its payer is never matched on amount alone: a payer who quotes no reference has to be asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from reconciliation.subsets import DEFAULT_LIMIT, find_subset

ClaimKey = tuple[str, str, int]  # payer, period id, claim number


class Status(StrEnum):
    MATCHED = "matched"
    PENDING = "pending"
    BREAK = "break"


class Kind(StrEnum):
    EXACT = "exact"
    WITHIN_TOLERANCE = "within_tolerance"
    SPLIT = "split"
    COMBINED = "combined"
    NOTHING_DUE = "nothing_due"
    NOT_DUE = "not_due"
    PART_PAID = "part_paid"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    UNKNOWN_REFERENCE = "unknown_reference"
    DUPLICATE = "duplicate"
    UNPAID_OVERDUE = "unpaid_overdue"


@dataclass(frozen=True)
class Claim:
    """What a payer is asked to pay for a period (the sum of its postings there)."""

    payer: str
    period: str
    number: int
    amount: int  # minor units; negative when the period owes the payer a credit
    reference: str
    due_on: date

    @property
    def key(self) -> ClaimKey:
        return (self.payer, self.period, self.number)


@dataclass(frozen=True)
class Remittance:
    """Money received from a payer (negative for a refund paid back to it)."""

    remittance_id: str
    payer: str
    amount: int  # minor units
    received_on: date
    reference: str


@dataclass(frozen=True)
class Match:
    """One outcome of matching: the claims and remittances it settles, and how.

    `allocated` says which claim each part of the money received counts against; a duplicate
    or an overpayment on a settled claim counts against that claim without being its match.
    """

    status: Status
    kind: Kind
    claims: tuple[ClaimKey, ...]
    remittances: tuple[str, ...]
    claimed: int
    received: int
    allocated: tuple[tuple[ClaimKey, int], ...] = ()
    detail: str = ""

    @property
    def difference(self) -> int:
        """Money received minus money claimed (positive when overpaid)."""
        return self.received - self.claimed


@dataclass(frozen=True)
class Matching:
    """Every claim and every remittance in exactly one match."""

    matches: tuple[Match, ...]

    def of_claim(self, key: ClaimKey) -> Match:
        """The match a claim ended in."""
        return next(m for m in self.matches if key in m.claims)

    def of_remittance(self, remittance_id: str) -> Match:
        """The match a remittance ended in."""
        return next(m for m in self.matches if remittance_id in m.remittances)


_SEPARATORS = re.compile(r"[\s,;/+&|]+")


def _tokens(reference: str) -> set[str]:
    text = reference.strip().upper()
    return {text, *(t for t in _SEPARATORS.split(text) if t)} - {""}


def _allocate(claims: Sequence[Claim], received: int) -> tuple[tuple[ClaimKey, int], ...]:
    """Money received against several claims: each claim in order up to its amount, the rest
    (a tolerance difference, an overpayment) on the last one, so the parts sum exactly."""
    parts: list[tuple[ClaimKey, int]] = []
    left = received
    for index, claim in enumerate(claims):
        last = index == len(claims) - 1
        part = left if last else (min(left, claim.amount) if claim.amount >= 0 else claim.amount)
        parts.append((claim.key, part))
        left -= part
    return tuple(parts)


class _Matcher:
    def __init__(
        self,
        claims: Iterable[Claim],
        remittances: Iterable[Remittance],
        tolerance: int,
        as_of: date,
        limit: int,
    ) -> None:
        self.claims = {c.key: c for c in sorted(claims, key=lambda c: (c.due_on, c.key))}
        ordered = sorted(remittances, key=lambda r: (r.received_on, r.remittance_id))
        self.remittances = {r.remittance_id: r for r in ordered}
        self.tolerance, self.as_of, self.limit = tolerance, as_of, limit
        self.copies = self.duplicates()
        self.searched_out: set[str] = set()
        self._named: dict[str, list[ClaimKey]] = {}
        self.open_claims = dict(self.claims)
        self.open_remittances = dict(self.remittances)
        self.matches: list[Match] = []
        self.by_reference: dict[tuple[str, str], ClaimKey] = {
            (c.payer, c.reference.strip().upper()): c.key for c in self.claims.values()
        }

    def named(self, remittance: Remittance) -> list[ClaimKey]:
        """The claims of the remittance's payer its reference quotes, in claim order."""
        found = self._named.get(remittance.remittance_id)
        if found is None:
            quoted = {
                self.by_reference[(remittance.payer, token)]
                for token in _tokens(remittance.reference)
                if (remittance.payer, token) in self.by_reference
            }
            found = [key for key in self.claims if key in quoted]
            self._named[remittance.remittance_id] = found
        return found

    def settle(
        self,
        status: Status,
        kind: Kind,
        claims: Sequence[Claim],
        remittances: Sequence[Remittance],
        detail: str = "",
        allocated: tuple[tuple[ClaimKey, int], ...] | None = None,
    ) -> None:
        received = sum(r.amount for r in remittances)
        for claim in claims:
            del self.open_claims[claim.key]
        for remittance in remittances:
            del self.open_remittances[remittance.remittance_id]
        self.matches.append(
            Match(
                status,
                kind,
                tuple(c.key for c in claims),
                tuple(r.remittance_id for r in remittances),
                sum(c.amount for c in claims),
                received,
                _allocate(claims, received) if allocated is None else allocated,
                detail,
            )
        )

    def shortfall(self, claimed: int, received: int) -> int:
        """How much less than claimed was received, in the direction the money should go."""
        return claimed - received if claimed >= 0 else received - claimed

    def duplicates(self) -> dict[str, str]:
        """Exact copies of an earlier remittance (same payer, amount, date and reference)."""
        seen: dict[tuple[str, int, date, str], str] = {}
        copies: dict[str, str] = {}
        for r in self.remittances.values():
            signature = (r.payer, r.amount, r.received_on, r.reference.strip().upper())
            if signature in seen:
                copies[r.remittance_id] = seen[signature]
            else:
                seen[signature] = r.remittance_id
        return copies

    def single(self, tolerance: int, kind: Kind) -> None:
        for remittance in list(self.open_remittances.values()):
            named = self.named(remittance)
            if len(named) != 1 or named[0] not in self.open_claims:
                continue
            claim = self.open_claims[named[0]]
            if abs(remittance.amount - claim.amount) <= tolerance:
                self.settle(Status.MATCHED, kind, [claim], [remittance])

    def split(self) -> None:
        for claim in list(self.open_claims.values()):
            paying = [r for r in self.open_remittances.values() if self.named(r) == [claim.key]]
            if len(paying) < 2:
                continue
            search = find_subset(
                [r.amount for r in paying], claim.amount, self.tolerance, limit=self.limit
            )
            if search.chosen:
                chosen = [paying[i] for i in search.chosen]
                self.settle(Status.MATCHED, Kind.SPLIT, [claim], chosen)
            elif search.limit_reached:
                self.searched_out.update(r.remittance_id for r in paying)

    def combined(self) -> None:
        for remittance in list(self.open_remittances.values()):
            named = [self.open_claims[k] for k in self.named(remittance) if k in self.open_claims]
            if len(named) < 2:
                continue
            search = find_subset(
                [c.amount for c in named], remittance.amount, self.tolerance, limit=self.limit
            )
            if search.chosen:
                chosen = [named[i] for i in search.chosen]
                self.settle(Status.MATCHED, Kind.COMBINED, chosen, [remittance])
            elif search.limit_reached:
                self.searched_out.add(remittance.remittance_id)

    def leftovers(self) -> None:
        for remittance in list(self.open_remittances.values()):
            if remittance.remittance_id not in self.open_remittances:
                continue  # already settled together with an earlier leftover
            if remittance.remittance_id in self.copies:
                self.duplicate(remittance, self.copies[remittance.remittance_id])
                continue
            named = self.named(remittance)
            open_named = [self.open_claims[k] for k in named if k in self.open_claims]
            if open_named:
                self.part_or_wrong(open_named, remittance)
            elif named:
                self.paid_again(remittance, named)
            else:
                self.settle(
                    Status.BREAK,
                    Kind.UNKNOWN_REFERENCE,
                    [],
                    [remittance],
                    f"reference {remittance.reference!r} names no claim to {remittance.payer}: "
                    "ask the payer which claim it pays",
                    allocated=(),
                )

    def duplicate(self, remittance: Remittance, original_id: str) -> None:
        original = next(m for m in self.matches if original_id in m.remittances)
        share = [(key, part) for key, part in original.allocated if part][:1]
        allocated = tuple((key, remittance.amount) for key, _ in share)
        self.settle(
            Status.BREAK,
            Kind.DUPLICATE,
            [],
            [remittance],
            f"same payer, amount, date and reference as remittance {original_id}: "
            "refund it or set it against the next claim",
            allocated=allocated,
        )

    def part_or_wrong(self, claims: list[Claim], remittance: Remittance) -> None:
        # money quoting several claims ties them together: gather every open claim and every
        # remittance reachable through references so each is settled once, as one group
        keys = {c.key for c in claims}
        paying: list[Remittance] = []
        while True:
            paying = [
                r
                for r in self.open_remittances.values()
                if r.remittance_id not in self.copies and set(self.named(r)) & keys
            ]
            wider = keys | {k for r in paying for k in self.named(r) if k in self.open_claims}
            if wider == keys:
                break
            keys = wider
        claims = [c for k, c in self.open_claims.items() if k in keys]
        claimed = sum(c.amount for c in claims)
        received = sum(r.amount for r in paying)
        short = self.shortfall(claimed, received)
        if abs(short) <= self.tolerance:
            kind = Kind.SPLIT if len(claims) == 1 else Kind.COMBINED
            self.settle(Status.MATCHED, kind, claims, paying)
            return
        if short < 0:
            kind, status = Kind.OVERPAID, Status.BREAK
        elif all(self.as_of <= c.due_on for c in claims):
            kind, status = Kind.PART_PAID, Status.PENDING
        else:
            kind, status = Kind.UNDERPAID, Status.BREAK
        detail = f"claimed {claimed}, received {received} (minor units)"
        if any(r.remittance_id in self.searched_out for r in paying):
            detail += (
                f"; more than {self.limit} combinations of claims and payments to try: "
                "match them by hand"
            )
        self.settle(status, kind, claims, paying, detail)

    def paid_again(self, remittance: Remittance, named: list[ClaimKey]) -> None:
        first = self.claims[named[0]]
        same_amount = any(self.claims[k].amount == remittance.amount for k in named)
        kind = Kind.DUPLICATE if same_amount else Kind.OVERPAID
        self.settle(
            Status.BREAK,
            kind,
            [],
            [remittance],
            f"claim {first.reference} was already settled: refund this payment or set it "
            "against the next claim",
            allocated=((first.key, remittance.amount),),
        )

    def unpaid(self) -> None:
        for claim in list(self.open_claims.values()):
            if claim.amount == 0:
                self.settle(Status.MATCHED, Kind.NOTHING_DUE, [claim], [])
            elif self.as_of <= claim.due_on:
                self.settle(Status.PENDING, Kind.NOT_DUE, [claim], [], f"due {claim.due_on}")
            else:
                self.settle(
                    Status.BREAK,
                    Kind.UNPAID_OVERDUE,
                    [claim],
                    [],
                    f"due {claim.due_on}, nothing received: chase the payer",
                )


def match(
    claims: Iterable[Claim],
    remittances: Iterable[Remittance],
    tolerance: int,
    as_of: date,
    limit: int = DEFAULT_LIMIT,
) -> Matching:
    """Match remittances to claims; `tolerance` in minor units, `as_of` the day of the run."""
    matcher = _Matcher(claims, remittances, tolerance, as_of, limit)
    copies = matcher.copies
    originals = dict(matcher.open_remittances)
    for copy_id in copies:
        del matcher.open_remittances[copy_id]
    matcher.single(0, Kind.EXACT)
    matcher.single(tolerance, Kind.WITHIN_TOLERANCE)
    matcher.split()
    matcher.combined()
    for copy_id in copies:
        matcher.open_remittances[copy_id] = originals[copy_id]
    matcher.leftovers()
    matcher.unpaid()
    return Matching(tuple(matcher.matches))
