"""Matching remittances to claims: each case reads as a payer's bank statement against claims."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.matching import Claim, Kind, Remittance, Status, match

DUE = date(2025, 11, 14)
BEFORE_DUE, AFTER_DUE = date(2025, 11, 1), date(2025, 12, 1)


def claim(number: int, amount: int, payer: str = "dclg", period: str = "2025-Q3") -> Claim:
    return Claim(payer, period, number, amount, f"FCF-{payer.upper()}-{number}", DUE)


def paid(rid: str, amount: int, reference: str, payer: str = "dclg", day: int = 20) -> Remittance:
    return Remittance(rid, payer, amount, date(2025, 10, day), reference)


def test_exact_amount_and_reference_match() -> None:
    result = match([claim(1, 150_000)], [paid("R1", 150_000, "FCF-DCLG-1")], 100, AFTER_DUE)
    (only,) = result.matches
    assert (only.status, only.kind, only.difference) == (Status.MATCHED, Kind.EXACT, 0)


def test_reference_is_found_inside_the_payers_text_whatever_the_case() -> None:
    result = match([claim(1, 500)], [paid("R1", 500, "payment for fcf-dclg-1")], 0, AFTER_DUE)
    assert result.of_claim(("dclg", "2025-Q3", 1)).kind is Kind.EXACT


@pytest.mark.parametrize(
    ("received", "status", "kind"),
    [
        (149_900, Status.MATCHED, Kind.WITHIN_TOLERANCE),  # at the tolerance
        (150_100, Status.MATCHED, Kind.WITHIN_TOLERANCE),
        (149_899, Status.BREAK, Kind.UNDERPAID),  # just beyond it
        (150_101, Status.BREAK, Kind.OVERPAID),
    ],
)
def test_tolerance_edges(received: int, status: Status, kind: Kind) -> None:
    result = match([claim(1, 150_000)], [paid("R1", received, "FCF-DCLG-1")], 100, AFTER_DUE)
    found = result.of_remittance("R1")
    assert (found.status, found.kind) == (status, kind)
    assert found.claims == (("dclg", "2025-Q3", 1),)
    assert found.difference == received - 150_000


def test_several_remittances_paying_one_claim_are_a_split() -> None:
    result = match(
        [claim(1, 300_000)],
        [paid("R1", 100_000, "FCF-DCLG-1", day=2), paid("R2", 200_000, "FCF-DCLG-1", day=9)],
        0,
        AFTER_DUE,
    )
    (only,) = result.matches
    assert (only.kind, set(only.remittances), only.difference) == (Kind.SPLIT, {"R1", "R2"}, 0)


def test_one_remittance_paying_several_claims_is_combined() -> None:
    claims = [claim(1, 40_000), claim(2, 60_000), claim(3, 25_000)]
    result = match(claims, [paid("R1", 100_000, "FCF-DCLG-1 / FCF-DCLG-2")], 0, AFTER_DUE)
    combined = result.of_remittance("R1")
    assert combined.kind is Kind.COMBINED
    assert set(combined.claims) == {("dclg", "2025-Q3", 1), ("dclg", "2025-Q3", 2)}
    assert dict(combined.allocated) == {
        ("dclg", "2025-Q3", 1): 40_000,
        ("dclg", "2025-Q3", 2): 60_000,
    }
    assert result.of_claim(("dclg", "2025-Q3", 3)).kind is Kind.UNPAID_OVERDUE


def test_combined_payment_quoting_a_claim_it_does_not_pay_leaves_that_claim_open() -> None:
    claims = [claim(1, 40_000), claim(2, 60_000), claim(3, 25_000)]
    result = match(claims, [paid("R1", 65_000, "FCF-DCLG-1;FCF-DCLG-2;FCF-DCLG-3")], 0, BEFORE_DUE)
    assert set(result.of_remittance("R1").claims) == {
        ("dclg", "2025-Q3", 1),
        ("dclg", "2025-Q3", 3),
    }
    assert result.of_claim(("dclg", "2025-Q3", 2)).status is Status.PENDING


def test_unknown_reference_is_a_break_even_when_the_amount_fits() -> None:
    result = match([claim(1, 500)], [paid("R1", 500, "INV 2291")], 0, BEFORE_DUE)
    assert result.of_remittance("R1").kind is Kind.UNKNOWN_REFERENCE
    assert "ask the payer" in result.of_remittance("R1").detail
    assert result.of_claim(("dclg", "2025-Q3", 1)).kind is Kind.NOT_DUE


def test_another_payers_reference_is_unknown_for_this_payer() -> None:
    result = match(
        [claim(1, 500, payer="dclg")], [paid("R1", 500, "FCF-DCLG-1", payer="cabinet")], 0, DUE
    )
    assert result.of_remittance("R1").kind is Kind.UNKNOWN_REFERENCE


def test_exact_copy_of_a_remittance_is_a_duplicate_counted_against_the_same_claim() -> None:
    result = match(
        [claim(1, 500)], [paid("R1", 500, "FCF-DCLG-1"), paid("R2", 500, "FCF-DCLG-1")], 0, DUE
    )
    assert result.of_remittance("R1").kind is Kind.EXACT
    duplicate = result.of_remittance("R2")
    assert (duplicate.status, duplicate.kind, duplicate.claims) == (
        Status.BREAK,
        Kind.DUPLICATE,
        (),
    )
    assert duplicate.allocated == ((("dclg", "2025-Q3", 1), 500),)


def test_paying_a_settled_claim_again_on_another_day_is_a_duplicate() -> None:
    result = match(
        [claim(1, 500)],
        [paid("R1", 500, "FCF-DCLG-1", day=1), paid("R2", 500, "FCF-DCLG-1", day=15)],
        0,
        DUE,
    )
    assert result.of_remittance("R2").kind is Kind.DUPLICATE


def test_extra_money_on_a_settled_claim_is_an_overpayment() -> None:
    result = match(
        [claim(1, 500)],
        [paid("R1", 500, "FCF-DCLG-1", day=1), paid("R2", 70, "FCF-DCLG-1", day=15)],
        0,
        DUE,
    )
    assert result.of_remittance("R2").kind is Kind.OVERPAID


@pytest.mark.parametrize(
    ("as_of", "status", "kind"),
    [(DUE, Status.PENDING, Kind.NOT_DUE), (AFTER_DUE, Status.BREAK, Kind.UNPAID_OVERDUE)],
)
def test_unpaid_claim_is_pending_until_due_then_overdue(
    as_of: date, status: Status, kind: Kind
) -> None:
    found = match([claim(1, 500)], [], 0, as_of).of_claim(("dclg", "2025-Q3", 1))
    assert (found.status, found.kind) == (status, kind)


@pytest.mark.parametrize(
    ("as_of", "status", "kind"),
    [(BEFORE_DUE, Status.PENDING, Kind.PART_PAID), (AFTER_DUE, Status.BREAK, Kind.UNDERPAID)],
)
def test_part_payment_is_pending_within_terms(as_of: date, status: Status, kind: Kind) -> None:
    found = match([claim(1, 500)], [paid("R1", 200, "FCF-DCLG-1")], 0, as_of).of_remittance("R1")
    assert (found.status, found.kind, found.received) == (status, kind, 200)


def test_a_credit_claim_is_settled_by_a_refund() -> None:
    result = match([claim(1, -2_500)], [paid("R1", -2_500, "FCF-DCLG-1")], 0, AFTER_DUE)
    assert result.of_claim(("dclg", "2025-Q3", 1)).kind is Kind.EXACT
    short = match([claim(1, -2_500)], [paid("R1", -1_000, "FCF-DCLG-1")], 0, AFTER_DUE)
    assert short.of_claim(("dclg", "2025-Q3", 1)).kind is Kind.UNDERPAID


def test_search_limit_leaves_a_clear_break_rather_than_a_guess() -> None:
    claims = [claim(n, 1_000 + n) for n in range(1, 21)]
    reference = ";".join(c.reference for c in claims)
    # 20 claims quoted, paid 3 short of all of them: no group within the limit fits
    result = match(
        claims, [paid("R1", sum(c.amount for c in claims) - 3, reference)], 0, AFTER_DUE, limit=50
    )
    found = result.of_remittance("R1")
    assert (found.status, found.kind) == (Status.BREAK, Kind.UNDERPAID)
    assert len(found.claims) == 20
    assert "more than 50 combinations" in found.detail
    assert (
        "by hand"
        not in match(claims[:3], [paid("R1", 1, reference)], 0, AFTER_DUE)
        .of_remittance("R1")
        .detail
    )


amounts = st.integers(min_value=-5_000, max_value=50_000)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(amounts, min_size=0, max_size=6),
    st.lists(st.tuples(amounts, st.lists(st.integers(0, 7), max_size=3)), max_size=8),
    st.integers(0, 50),
    st.sampled_from([BEFORE_DUE, AFTER_DUE]),
)
def test_every_claim_and_remittance_ends_in_exactly_one_match(
    claim_amounts: list[int],
    payments: list[tuple[int, list[int]]],
    tolerance: int,
    as_of: date,
) -> None:
    claims = [claim(n, a) for n, a in enumerate(claim_amounts)]
    remittances = [
        paid(f"R{i}", amount, " ".join(f"FCF-DCLG-{n}" for n in quoted), day=1 + i % 3)
        for i, (amount, quoted) in enumerate(payments)
    ]
    result = match(claims, remittances, tolerance, as_of)
    claim_keys = [k for m in result.matches for k in m.claims]
    remittance_ids = [r for m in result.matches for r in m.remittances]
    assert sorted(claim_keys) == sorted(c.key for c in claims)
    assert sorted(remittance_ids) == sorted(r.remittance_id for r in remittances)
    by_id = {r.remittance_id: r for r in remittances}
    for found in result.matches:
        assert found.received == sum(by_id[r].amount for r in found.remittances)
        if found.allocated:
            assert sum(part for _, part in found.allocated) == found.received
        if found.status is Status.MATCHED:
            assert abs(found.difference) <= tolerance
