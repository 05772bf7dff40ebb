"""The vectorised cap walk against the plain sequential walk it replaces, on random rows, with
passes of every window size (down to one row)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.entitlement.caps import CUT_NAMES, CapLimits, CapRows, apply_caps

DENOMINATOR = 10000


def walk(rows: CapRows, limits: CapLimits) -> list[tuple[int, str, list[int]]]:
    """SEMANTICS 3.6-3.7 one occurrence at a time: (amount, cut, paid parts) per row."""
    person_left: dict[int, int] = {}
    metric_left = list(limits.metric_amount)
    count_left = list(limits.metric_count)
    contract_left = limits.contract
    commitment_left = list(limits.commitments)
    out = []
    for i in range(len(rows.price)):
        price, person, metric = int(rows.price[i]), int(rows.person[i]), int(rows.metric[i])
        if count_left[metric] == 0:
            amount, cut = 0, "metric_count_cap"
        else:
            bounds: list[tuple[str, int]] = []
            if limits.per_participant is not None and person >= 0:
                bounds.append(("participant_cap", person_left.get(person, limits.per_participant)))
            metric_bound = metric_left[metric]
            if metric_bound is not None:
                bounds.append(("metric_amount_cap", metric_bound))
            if contract_left is not None:
                bounds.append(("contract_cap", contract_left))
            amount = min([price] + [b for _, b in bounds])
            cut = next((n for n, b in bounds if b == amount), "") if amount < price else ""
        shares = [int(n) for n in rows.numerators[i]]
        parts = [amount * s // DENOMINATOR for s in shares]
        extra = amount - sum(parts)
        for j, share in enumerate(shares):
            if share > 0 and extra > 0:
                parts[j] += 1
                extra -= 1
        paid = []
        for j, part in enumerate(parts):
            left = commitment_left[j]
            paid.append(part if left is None else min(part, left))
            if left is not None:
                commitment_left[j] = left - paid[-1]
        consumed = sum(paid)
        if limits.per_participant is not None and person >= 0:
            person_left[person] = person_left.get(person, limits.per_participant) - consumed
        metric_amount = metric_left[metric]
        if metric_amount is not None:
            metric_left[metric] = metric_amount - consumed
        if contract_left is not None:
            contract_left -= consumed
        metric_count = count_left[metric]
        if consumed > 0 and metric_count is not None:
            count_left[metric] = metric_count - 1
        out.append((amount, cut, paid))
    return out


cap = st.one_of(st.none(), st.integers(0, 3000))


@st.composite
def cases(draw: st.DrawFn) -> tuple[CapRows, CapLimits]:
    size = draw(st.integers(0, 60))
    payers = draw(st.integers(1, 3))
    metrics = draw(st.integers(1, 3))
    people = draw(st.integers(1, 6))
    share_maps = []
    for _ in range(2):
        cuts = sorted(
            draw(st.lists(st.integers(0, DENOMINATOR), min_size=payers - 1, max_size=payers - 1))
        )
        bounds = [0, *cuts, DENOMINATOR]
        share_maps.append([bounds[k + 1] - bounds[k] for k in range(payers)])
    chosen = draw(st.lists(st.integers(0, 1), min_size=size, max_size=size))
    rows = CapRows(
        price=np.array(
            draw(st.lists(st.integers(0, 1500), min_size=size, max_size=size)), dtype=np.int64
        ),
        person=np.array(
            draw(st.lists(st.integers(-1, people - 1), min_size=size, max_size=size)),
            dtype=np.int64,
        ),
        metric=np.array(
            draw(st.lists(st.integers(0, metrics - 1), min_size=size, max_size=size)),
            dtype=np.int64,
        ),
        numerators=np.array([share_maps[c] for c in chosen], dtype=np.int64).reshape(size, payers),
        denominator=DENOMINATOR,
    )
    limits = CapLimits(
        per_participant=draw(cap),
        metric_amount=tuple(draw(cap) for _ in range(metrics)),
        metric_count=tuple(draw(st.one_of(st.none(), st.integers(0, 5))) for _ in range(metrics)),
        contract=draw(st.one_of(st.none(), st.integers(0, 20000))),
        commitments=tuple(draw(cap) for _ in range(payers)),
        people=people,
    )
    return rows, limits


@settings(max_examples=250, deadline=None)
@given(cases(), st.integers(1, 8))
def test_the_vectorised_walk_is_the_sequential_walk(
    case: tuple[CapRows, CapLimits], window: int
) -> None:
    rows, limits = case
    outcome = apply_caps(rows, limits, first_window=window)
    expected = walk(rows, limits)
    got = [
        (int(a), CUT_NAMES[int(c)], [int(x) for x in p])
        for a, c, p in zip(outcome.amount, outcome.cut, outcome.paid, strict=True)
    ]
    assert got == expected
    assert (outcome.parts.sum(axis=1) == outcome.amount).all()
