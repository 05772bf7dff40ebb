"""Ledger keys `<provider>/<local id>`: the character set, qualifying, and resolving the ids a
party who sees every provider writes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.storage import keys

STORED = pa.array(["acme/P1", "bravo/P1", "acme/A2", "bravo-two/B3"], type=pa.large_string())


def texts(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="str")


@pytest.mark.parametrize(
    "value", ["P1", "0", "a.b_c-d", "x" * 64, "123e4567-e89b-12d3-a456-426614174000"]
)
def test_local_ids_a_case_system_writes_are_accepted(value: str) -> None:
    assert keys.is_local(value) and keys.local_ok(texts(value)).tolist() == [True]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("=1+1", "starts with '=', which a spreadsheet reads as a formula"),
        ("-2", "starts with '-', which a spreadsheet reads as a formula"),
        (".hidden", "starts with '.'"),
        ("a/b", "contains '/', which separates a provider from its own id"),
        ("a b", "contains ' '"),
        ("a\tb", "contains the character U+0009"),
        ("é", "contains the character U+00E9"),
        ("P1\n", "contains the character U+000A"),
        ("x" * 65, "is longer than 64 characters"),
    ],
)
def test_anything_else_is_refused_and_said_why(value: str, why: str) -> None:
    assert not keys.is_local(value)
    assert keys.local_ok(texts(value)).tolist() == [False]
    assert keys.what_is_wrong(value) == why


def test_a_key_is_a_provider_a_slash_and_a_local_id() -> None:
    assert keys.qualified("acme", "P1") == "acme/P1"
    assert (keys.local_of("acme/P1"), keys.provider_of("acme/P1")) == ("P1", "acme")
    # cohort-level lines have no provider and are left as they are
    assert (keys.local_of("cohort:pool"), keys.provider_of("cohort:pool")) == ("cohort:pool", None)
    assert keys.qualified_ok(texts("acme/P1", "Acme/P1", "acme/P 1", "P1")).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert keys.qualify("acme", texts("P1", "P2")).tolist() == ["acme/P1", "acme/P2"]
    assert keys.qualify(texts("a", "b"), texts("P1", "P2")).tolist() == ["a/P1", "b/P2"]
    assert keys.localise(texts("acme/P1", "bravo/P1", "cohort:c1"), "acme").tolist() == [
        "P1",
        "bravo/P1",
        "cohort:c1",
    ]


@given(
    st.from_regex(keys.PROVIDER, fullmatch=True),
    st.lists(st.from_regex(keys.LOCAL, fullmatch=True), max_size=5),
)
def test_a_provider_reads_back_exactly_the_ids_it_wrote(provider: str, local: list[str]) -> None:
    written = texts(*local)
    assert keys.localise(keys.qualify(provider, written), provider).tolist() == local


def test_grouping_splits_every_key_whatever_its_providers_length() -> None:
    split = keys.grouped(pa.array(["acme/P1", "cohort:c1", "bravo-two/B3", "ab/x/y"]))
    found = sorted(
        zip(
            split.rows.tolist(),
            split.providers.to_pylist(),
            split.locals.to_pylist(),
            strict=True,
        )
    )
    assert found == [
        (0, "acme", "P1"),
        (1, "", "cohort:c1"),
        (2, "bravo-two", "B3"),
        (3, "ab", "x/y"),
    ]


def test_resolving_qualified_by_column_alone_and_ambiguous() -> None:
    named = texts("acme/P1", "P1", "A2", "B3", "P1", "Z9", "", "a b", "acme/B3", "bravo/P1")
    provider = texts("", "", "", "", "bravo", "", "", "", "", "acme")
    found = keys.resolve(named, provider, STORED)
    assert found.at.tolist() == [0, -1, 2, 3, 1, -1, -1, -1, -1, -1]
    assert found.keys.tolist()[:5] == ["acme/P1", "P1", "acme/A2", "bravo-two/B3", "bravo/P1"]
    assert found.ambiguous == {1: ("acme", "bravo")}
    assert found.malformed.tolist() == [False] * 7 + [True, False, False]
    # a key whose provider is not the provider column's is a mismatch, not a guess
    assert found.mismatch.tolist() == [False] * 9 + [True]


def test_resolving_without_a_provider_column_or_anything_stored() -> None:
    found = keys.resolve(texts("A2", "acme/P1"), None, STORED)
    assert found.at.tolist() == [2, 0]
    nothing = keys.resolve(texts("A2"), None, pa.array([], type=pa.large_string()))
    assert nothing.at.tolist() == [-1] and nothing.ambiguous == {}


def test_the_longest_key_an_import_makes_fits_the_id_columns() -> None:
    from ledger.storage.tables import KEY_LENGTH, Evidence, Participant, Posting, table_of

    longest = keys.qualified("p" * 64, "x" * keys.LOCAL_MAX)
    assert keys.is_qualified(longest) and len(longest) == keys.LONGEST_KEY <= KEY_LENGTH
    for model, column in (
        (Participant, "participant_id"),
        (Evidence, "participant_id"),
        (Evidence, "evidence_id"),
        (Posting, "participant_id"),
    ):
        assert getattr(table_of(model).c[column].type, "length", None) == KEY_LENGTH
