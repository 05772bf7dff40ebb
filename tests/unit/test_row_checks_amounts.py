"""RowChecks.amount and RowChecks.scaled: exact minor units from upload strings, every bad
value named by its row and column."""

from __future__ import annotations

import pandas as pd
import pytest

from ledger.intake.row_checks import ROW, RowChecks


def checks_of(column: str, *values: str) -> RowChecks:
    frame = pd.DataFrame(
        {
            ROW: pd.array(range(2, len(values) + 2), dtype="int64"),
            column: pd.array(list(values), dtype="str"),
        }
    )
    return RowChecks("bank.csv", frame)


@pytest.mark.parametrize(
    ("value", "exponent", "minor"),
    [
        ("1500.00", 2, 150000),
        ("1500", 2, 150000),
        ("0.01", 2, 1),
        ("-250.5", 2, -25050),
        ("+.5", 2, 50),
        ("12345678901234.99", 2, 1234567890123499),  # beyond a float's exact digits
        ("1200", 0, 1200),
        ("1.234", 3, 1234),
    ],
)
def test_good_amounts_are_exact_minor_units(value: str, exponent: int, minor: int) -> None:
    checks = checks_of("amount", value)
    assert checks.amount("amount", exponent).tolist() == [minor]
    assert checks.errors == []


@pytest.mark.parametrize(
    ("value", "exponent", "message"),
    [
        ("1,500.00", 2, "is not an amount: write a decimal like 1500.00 (at most 2 decimals)"),
        ("1e3", 2, "is not an amount: write a decimal like 1500.00 (at most 2 decimals)"),
        ("12.0", 0, "has more than the currency's 0 decimals: round it"),
        ("0.001", 2, "has more than the currency's 2 decimals: round it"),
        ("0.00", 2, "is zero: leave the row out"),
        ("-0", 2, "is zero: leave the row out"),
    ],
)
def test_bad_amounts_name_row_column_and_what_to_do(
    value: str, exponent: int, message: str
) -> None:
    checks = checks_of("amount", "1", value)
    minor = checks.amount("amount", exponent)
    assert [str(e) for e in checks.errors] == [f"bank.csv:3: amount: {message}"]
    assert minor.tolist()[1] == 0
    assert checks.bad.tolist() == [False, True]


def test_zero_and_negative_are_refused_or_allowed_as_asked() -> None:
    checks = checks_of("amount", "0", "-1.00", "")
    assert checks.amount("amount", 2, allow_zero=True, allow_negative=False).tolist() == [
        0,
        -100,
        0,
    ]
    assert [str(e) for e in checks.errors] == [
        "bank.csv:3: amount: is negative: write the amount without a sign"
    ]


def test_an_empty_value_is_left_to_require() -> None:
    checks = checks_of("amount", "")
    assert checks.amount("amount", 2).tolist() == [0]
    assert checks.errors == []


def test_scaled_takes_decimals_per_row_and_only_the_rows_asked() -> None:
    checks = checks_of("quantity", "10.5", "10.55", "x", "7.25")
    decimals = pd.Series([1, 1, 2, 2])
    scaled = checks.scaled(
        "quantity",
        decimals,
        where=pd.Series([True, True, True, False]),
        not_a_number="is not a number",
        too_many="has too many decimals (" + decimals.astype(str) + ")",
    )
    assert scaled.tolist() == [105, pd.NA, pd.NA, pd.NA]
    assert sorted(str(e) for e in checks.errors) == [
        "bank.csv:3: quantity: has too many decimals (1)",
        "bank.csv:4: quantity: is not a number",
    ]
