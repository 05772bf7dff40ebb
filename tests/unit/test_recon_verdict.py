"""A period's bridge from owed to received, and its verdict."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.matching import Claim, Matching, Remittance, Status, match
from reconciliation.verdict import NOT_CLAIMED, NOT_POSTED, Verdict, bridge

DUE = date(2025, 11, 14)
LATE = date(2025, 12, 1)


def claim(number: int, amount: int, period: str = "2025-Q3", payer: str = "dclg") -> Claim:
    return Claim(payer, period, number, amount, f"C{number}", DUE)


def paid(rid: str, amount: int, reference: str, payer: str = "dclg") -> Remittance:
    return Remittance(rid, payer, amount, date(2025, 10, 20), reference)


def test_claims_paid_exactly_reconcile_with_nothing_unexplained() -> None:
    claims = [claim(1, 1_000), claim(2, 500, payer="cabinet")]
    matching = match(
        claims, [paid("R1", 1_000, "C1"), paid("R2", 500, "C2", payer="cabinet")], 0, LATE
    )
    result = bridge(
        "2025-Q3",
        {"dclg": 1_000, "cabinet": 500},
        {"dclg": 1_000, "cabinet": 500},
        claims,
        matching,
    )
    assert result.verdict is Verdict.RECONCILED
    assert result.unexplained == 0
    assert {p.payer: p.received for p in result.payers} == {"dclg": 1_000, "cabinet": 500}


def test_offsetting_over_and_underpayment_is_not_reconciled() -> None:
    claims = [claim(1, 1_000), claim(2, 1_000)]
    # the totals agree (2,000 claimed, 2,000 received) but each claim is wrong by 100
    matching = match(claims, [paid("R1", 1_100, "C1"), paid("R2", 900, "C2")], 0, LATE)
    result = bridge("2025-Q3", {"dclg": 2_000}, {"dclg": 2_000}, claims, matching)
    (dclg,) = result.payers
    assert dclg.received == dclg.claimed == 2_000
    assert dclg.unexplained == 0
    assert dclg.explained == {"overpaid": -100, "underpaid": 100}
    assert result.verdict is Verdict.BREAKS


def test_difference_within_tolerance_is_explained_and_reconciled() -> None:
    claims = [claim(1, 1_000)]
    matching = match(claims, [paid("R1", 999, "C1")], 5, LATE)
    result = bridge("2025-Q3", {"dclg": 1_000}, {"dclg": 1_000}, claims, matching)
    assert result.payers[0].explained == {"within_tolerance": 1}
    assert result.verdict is Verdict.RECONCILED


def test_a_claim_not_yet_due_leaves_the_period_reconciled_with_pending() -> None:
    claims = [claim(1, 1_000), claim(2, 300)]
    matching = match(claims, [paid("R1", 1_000, "C1")], 0, date(2025, 11, 1))
    result = bridge("2025-Q3", {"dclg": 1_300}, {"dclg": 1_300}, claims, matching)
    assert result.payers[0].explained == {"not_due": 300}
    assert result.verdict is Verdict.RECONCILED_WITH_PENDING
    overdue = bridge(
        "2025-Q3",
        {"dclg": 1_300},
        {"dclg": 1_300},
        claims,
        match(claims, [paid("R1", 1_000, "C1")], 0, LATE),
    )
    assert overdue.verdict is Verdict.BREAKS


def test_without_a_completed_run_the_period_is_incomplete() -> None:
    claims = [claim(1, 1_000)]
    matching = match(claims, [paid("R1", 1_000, "C1")], 0, LATE)
    assert bridge("2025-Q3", None, {"dclg": 1_000}, claims, matching).verdict is Verdict.INCOMPLETE


def test_owed_but_not_posted_or_posted_but_not_claimed_is_incomplete() -> None:
    claims = [claim(1, 1_000)]
    matching = match(claims, [paid("R1", 1_000, "C1")], 0, LATE)
    unposted = bridge("2025-Q3", {"dclg": 1_200}, {"dclg": 1_000}, claims, matching)
    assert unposted.payers[0].explained == {NOT_POSTED: 200}
    assert unposted.verdict is Verdict.INCOMPLETE
    unclaimed = bridge("2025-Q3", {"dclg": 1_250}, {"dclg": 1_250}, claims, matching)
    assert unclaimed.payers[0].explained == {NOT_CLAIMED: 250}
    assert unclaimed.verdict is Verdict.INCOMPLETE
    assert unclaimed.unexplained == 0


def test_a_claim_left_out_of_matching_is_unexplained() -> None:
    claims = [claim(1, 1_000), claim(2, 400)]
    matching = match(claims[:1], [paid("R1", 1_000, "C1")], 0, LATE)
    result = bridge("2025-Q3", {"dclg": 1_400}, {"dclg": 1_400}, claims, matching)
    assert result.unexplained == 400
    assert result.verdict is Verdict.BREAKS


def test_one_payment_for_claims_of_two_periods_counts_in_each() -> None:
    claims = [claim(1, 1_000, "2025-Q2"), claim(2, 700, "2025-Q3")]
    matching = match(claims, [paid("R1", 1_700, "C1 C2")], 0, LATE)
    q2 = bridge("2025-Q2", {"dclg": 1_000}, {"dclg": 1_000}, claims, matching)
    q3 = bridge("2025-Q3", {"dclg": 700}, {"dclg": 700}, claims, matching)
    assert (q2.payers[0].received, q3.payers[0].received) == (1_000, 700)
    assert q2.verdict is q3.verdict is Verdict.RECONCILED


def test_a_duplicate_payment_is_a_break_in_the_period_it_was_meant_for() -> None:
    claims = [claim(1, 1_000)]
    matching = match(claims, [paid("R1", 1_000, "C1"), paid("R2", 1_000, "C1")], 0, LATE)
    result = bridge("2025-Q3", {"dclg": 1_000}, {"dclg": 1_000}, claims, matching)
    assert result.payers[0].received == 2_000
    assert result.payers[0].explained == {"duplicate": -1_000}
    assert result.unexplained == 0
    assert result.verdict is Verdict.BREAKS


def test_a_period_with_nothing_owed_and_nothing_claimed_is_reconciled() -> None:
    result = bridge("2025-Q3", {}, {}, [], Matching(()))
    assert result.verdict is Verdict.RECONCILED


def test_a_period_never_reconciled_is_incomplete_even_with_nothing_posted() -> None:
    assert bridge("2025-Q3", None, {}, [], Matching(())).verdict is Verdict.INCOMPLETE


amounts = st.integers(min_value=-2_000, max_value=20_000)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["2025-Q2", "2025-Q3"]), amounts), max_size=6),
    st.lists(st.tuples(amounts, st.lists(st.integers(0, 6), max_size=3)), max_size=8),
    st.integers(0, 30),
)
def test_every_period_bridges_to_zero_and_is_reconciled_only_without_breaks(
    claimed: list[tuple[str, int]], payments: list[tuple[int, list[int]]], tolerance: int
) -> None:
    claims = [claim(n, amount, period) for n, (period, amount) in enumerate(claimed)]
    remittances = [
        paid(f"R{i}", amount, " ".join(f"C{n}" for n in quoted))
        for i, (amount, quoted) in enumerate(payments)
    ]
    matching = match(claims, remittances, tolerance, LATE)
    allocated_anywhere = 0
    for period in ("2025-Q2", "2025-Q3"):
        total = sum(c.amount for c in claims if c.period == period)
        result = bridge(period, {"dclg": total}, {"dclg": total}, claims, matching)
        assert result.unexplained == 0
        allocated_anywhere += sum(p.received for p in result.payers)
        touching = [
            m
            for m in matching.matches
            if any(k[1] == period for k in m.claims) or any(k[1] == period for k, _ in m.allocated)
        ]
        all_matched = all(m.status is Status.MATCHED for m in touching)
        assert (result.verdict is Verdict.RECONCILED) == all_matched
    # money quoting no claim belongs to no period; everything else is counted exactly once
    unallocated = sum(m.received for m in matching.matches if m.remittances and not m.allocated)
    assert allocated_anywhere + unallocated == sum(r.amount for r in remittances)
