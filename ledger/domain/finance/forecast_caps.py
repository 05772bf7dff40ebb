"""The forecast's expected income, cut by the caps and split between payers (pure).

Expected occurrences are walked in the canonical cap order (date, metric position,
participant) from what the entitlement has already used of each cap, as the engine walks real
ones (SEMANTICS.md 3.6-3.7): an amount is cut to the per-participant, metric and contract caps
left, a metric count cap counts expected occurrences, and a payer whose commitment is used up
pays nothing more (its share does not move). The date each cap runs out is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from contract_specs.model import ContractSpec, to_minor
from ledger.domain.entitlement.types import Entitlement, Facts
from ledger.domain.finance.forecast import (
    CASES,
    Conversion,
    Expected,
    conversions,
    expected_occurrences,
    payment_date,
)
from ledger.domain.finance.waterfall import split

OWED = "owed"  # the metric name of income already owed (entitled) but not yet received


@dataclass(frozen=True)
class Income:
    """Expected outcome income: received on `on` from `payer` for `metric` (minor units)."""

    on: date
    payer: str
    metric: str
    amount: int


@dataclass(frozen=True)
class ForecastCase:
    case: str
    income: tuple[Income, ...]
    exhausted: Mapping[str, date | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.income)


@dataclass
class _Left:
    """What is left of every cap, and when each ran out."""

    participant: dict[str, int | None]
    metric_amount: dict[str, int | None]
    metric_count: dict[str, float | None]
    contract: int | None
    payer: dict[str, int | None]
    exhausted: dict[str, date | None]


def _minor(value: Decimal | None, exponent: int) -> int | None:
    return to_minor(value, exponent) if value is not None else None


def _less(limit: int | None, used: int) -> int | None:
    return None if limit is None else limit - used


def _left(spec: ContractSpec, ent: Entitlement) -> _Left:
    e = spec.contract.exponent
    lines = ent.lines
    by_person = lines.groupby("participant_id")["amount"].sum().to_dict()
    by_metric = lines.groupby("metric")["amount"].sum().to_dict()
    paid = lines[lines["amount"] > 0].drop_duplicates(["participant_id", "metric", "occurrence"])
    counted = paid.groupby("metric").size().to_dict()
    by_payer = lines.groupby("payer")["amount"].sum().to_dict()
    per_person = _minor(spec.caps.per_participant, e)
    exhausted: dict[str, date | None] = {}
    metric_amount: dict[str, int | None] = {}
    metric_count: dict[str, float | None] = {}
    for m in spec.metrics:
        metric_amount[m.id] = _less(_minor(m.caps.amount, e), int(by_metric.get(m.id, 0)))
        count = m.caps.count
        metric_count[m.id] = None if count is None else count - int(counted.get(m.id, 0))
        if m.caps.amount is not None:
            exhausted[f"{m.id} amount cap"] = None
        if count is not None:
            exhausted[f"{m.id} count cap"] = None
    contract = _less(_minor(spec.caps.contract, e), int(lines["amount"].sum()))
    if contract is not None:
        exhausted["contract cap"] = None
    payer: dict[str, int | None] = {}
    for p in spec.payers:
        payer[p.party] = _less(_minor(p.commitment, e), int(by_payer.get(p.party, 0)))
        if p.commitment is not None:
            exhausted[f"{p.party} commitment"] = None
    people = defaultdict(lambda: per_person)  # type: defaultdict[str, int | None]
    for pid, amount in by_person.items():
        people[pid] = _less(per_person, int(amount))
    return _Left(people, metric_amount, metric_count, contract, payer, exhausted)


def _named_left(state: _Left) -> dict[str, float | None]:
    named: dict[str, float | None] = {"contract cap": state.contract}
    named |= {f"{m} amount cap": left for m, left in state.metric_amount.items()}
    named |= {f"{m} count cap": left for m, left in state.metric_count.items()}
    named |= {f"{p} commitment": left for p, left in state.payer.items()}
    return named


def _use(left: int | None, amount: int) -> int | None:
    return None if left is None else left - amount


def _mark(state: _Left, name: str, left: float | None, on: date) -> None:
    if left is not None and left <= 0 and name in state.exhausted and not state.exhausted[name]:
        state.exhausted[name] = on


def capped_income(
    spec: ContractSpec, ent: Entitlement, rows: Sequence[Expected], case: str, on: date
) -> ForecastCase:
    """The income `rows` would bring once the caps and payer commitments are applied; a cap
    already used up by the entitlement as of `on` ran out on `on` at the latest."""
    state = _left(spec, ent)
    for name, left in _named_left(state).items():
        _mark(state, name, left, on)
    e = spec.contract.exponent
    income: list[Income] = []
    for row in rows:
        amount = to_minor(row.value, e)
        metric = spec.metric(row.metric)
        count = state.metric_count[row.metric]
        if count is not None and count <= 0:
            continue
        limits = [
            state.participant[row.participant_id],
            state.metric_amount[row.metric],
            state.contract,
        ]
        amount = min([amount, *(x for x in limits if x is not None)])
        if amount <= 0:
            continue
        state.participant[row.participant_id] = _use(state.participant[row.participant_id], amount)
        state.metric_amount[row.metric] = _use(state.metric_amount[row.metric], amount)
        state.contract = _use(state.contract, amount)
        if count is not None:
            state.metric_count[row.metric] = count - row.probability
        _mark(state, f"{row.metric} amount cap", state.metric_amount[row.metric], row.on)
        _mark(state, f"{row.metric} count cap", state.metric_count[row.metric], row.on)
        _mark(state, "contract cap", state.contract, row.on)
        shares = (metric.payer_shares or spec.payer_shares).at(row.on) or {}
        payers = [p.party for p in spec.payers if p.party in shares]
        parts = split(amount, [int(shares[p] * 10**6) for p in payers])
        for payer, part in zip(payers, parts, strict=True):
            room = state.payer[payer]
            part = part if room is None else min(part, max(room, 0))
            if part > 0:
                state.payer[payer] = _use(room, part)
                _mark(state, f"{payer} commitment", state.payer[payer], row.on)
                income.append(Income(payment_date(spec, row.on), payer, row.metric, part))
    return ForecastCase(case, tuple(income), dict(state.exhausted))


def owed_income(
    spec: ContractSpec, ent: Entitlement, received: Mapping[str, int], on: date
) -> list[Income]:
    """Entitlement not yet received, per payer, expected within the payer's terms."""
    entitled = ent.lines.groupby("payer")["amount"].sum().to_dict()
    due = on + timedelta(days=spec.contract.payment_terms_days)
    return [
        Income(due, payer, OWED, int(amount) - received.get(payer, 0))
        for payer, amount in entitled.items()
        if int(amount) - received.get(payer, 0) > 0
    ]


def forecast(
    spec: ContractSpec,
    facts: Facts,
    ent: Entitlement,
    on: date,
    received: Mapping[str, int],
) -> tuple[list[Conversion], list[ForecastCase]]:
    """Observed conversions and the low, central and high forecast as of `on`; `received` is
    the outcome income received so far per payer (minor units)."""
    found = conversions(spec, facts, ent, on)
    owed = owed_income(spec, ent, received, on)
    cases = []
    for case in CASES:
        expected = expected_occurrences(spec, facts, ent, on, found, case)
        capped = capped_income(spec, ent, expected, case, on)
        income = tuple(sorted((*owed, *capped.income), key=lambda i: (i.on, i.payer, i.metric)))
        cases.append(ForecastCase(case, income, capped.exhausted))
    return found, cases
