"""Ledger keys: whose participant or evidence an id is, by construction.

A provider names its participants and evidence with the ids of its own case system (local
ids). The ledger keys them `<provider>/<local id>`: a participant with the provider that
enrols it, an evidence row with its participant's provider. So the contract's unique keys
(contract_id, participant_id) and (contract_id, evidence_id) separate providers by themselves:
two providers may use the same local ids, and a provider's file is only ever compared with its
own namespace. Cohort-level lines keep `cohort:<id>` (no slash, so they never collide).

Local ids are 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or a digit:
no slash (it separates the provider), no spaces or control characters, and nothing that a
spreadsheet would read as a formula (`=`, `+`, `-`, `@` first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import ColumnElement, func

from ledger.domain.entitlement.coding import arrow_text, positions

SEPARATOR = "/"
LOCAL_MAX = 64
# the spec language's party id pattern: a provider id is one of these
PROVIDER = r"[a-z0-9][a-z0-9_-]{0,63}"
LOCAL = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{LOCAL_MAX - 1}}}"
LONGEST_KEY = (
    64 + len(SEPARATOR) + LOCAL_MAX
)  # of an imported id (ledger.storage.tables holds more)
LOCAL_ID_RULE = (
    f"an id is 1 to {LOCAL_MAX} letters, digits, '.', '_' or '-', starting with a letter or a digit"
)
_SEPARATOR = pa.scalar(SEPARATOR, pa.large_string())
_LOCAL = re.compile(LOCAL)
_QUALIFIED = re.compile(rf"({PROVIDER}){SEPARATOR}({LOCAL})")


def qualified(provider: str, local: str) -> str:
    """The ledger key of `local` in `provider`'s namespace."""
    return f"{provider}{SEPARATOR}{local}"


def local_of(key: str) -> str:
    """The id a provider wrote (the key without its provider); other keys unchanged."""
    provider, slash, local = key.partition(SEPARATOR)
    return local if slash and provider else key


def local_text(text: str, provider: str) -> str:
    """`text` (an id, or words naming ids: a posting's reason) with `provider`'s own keys
    written as its local ids."""
    return re.sub(rf"(?<![A-Za-z0-9._/-]){re.escape(qualified(provider, ''))}", "", text)


def provider_of(key: str) -> str | None:
    """The provider whose namespace `key` is in (None for a key with none, as cohort lines)."""
    provider, slash, _ = key.partition(SEPARATOR)
    return provider if slash else None


def in_namespace(column: ColumnElement[str], provider: str) -> ColumnElement[bool]:
    """SQL: `column` holds a key of `provider`'s namespace. A comparison of the prefix itself:
    LIKE treats `_` as a wildcard and a range depends on the database's collation."""
    prefix = qualified(provider, "")
    return func.substr(column, 1, len(prefix)) == prefix


def is_local(value: str) -> bool:
    """Whether `value` is a local id as a provider may write it."""
    return _LOCAL.fullmatch(value) is not None


def is_qualified(value: str) -> bool:
    """Whether `value` is a well-formed key `<provider>/<local id>`."""
    return _QUALIFIED.fullmatch(value) is not None


# --- whole columns at once (Arrow kernels in C++: millions of ids, no Python loop) -----------


def qualify(provider: str | pd.Series, local: pd.Series) -> pd.Series:
    """`<provider>/<local>` per row (one provider for all rows, or one per row)."""
    left = (
        pa.scalar(provider, pa.large_string())
        if isinstance(provider, str)
        else arrow_text(provider)
    )
    joined = pc.binary_join_element_wise(left, arrow_text(local), _SEPARATOR)
    return pd.Series(pd.array(joined, dtype="str"), index=local.index)


def localise(values: pd.Series, provider: str) -> pd.Series:
    """`values` as `provider` wrote them: its own prefix removed (other values unchanged)."""
    prefix = qualified(provider, "")
    array = arrow_text(values)
    mine = pc.starts_with(array, prefix)
    local = pc.if_else(mine, pc.utf8_slice_codeunits(array, len(prefix)), array)
    return pd.Series(pd.array(local, dtype="str"), index=values.index)


@dataclass(frozen=True)
class Grouped:
    """Stored keys split into provider and local id, grouped by the provider's length (the
    order Arrow's slicing kernels need): `rows` maps each entry back to its stored row."""

    providers: pa.Array
    locals: pa.Array
    rows: np.ndarray


def grouped(keys: pa.Array) -> Grouped:
    """The keys' providers and local ids (a key without a slash: provider "", itself local).

    Provider ids have few lengths, so the keys are sliced a length at a time (a regex or a
    list split over millions of keys costs seconds)."""
    array = keys.cast(pa.large_string())
    at = np.asarray(pc.find_substring(array, SEPARATOR).to_numpy(zero_copy_only=False))
    providers: list[pa.Array] = [pa.array([], type=pa.large_string())]
    locals_: list[pa.Array] = [pa.array([], type=pa.large_string())]
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for width in np.unique(at):
        these = np.flatnonzero(at == width)
        part = array.take(pa.array(these))
        if width < 0:
            providers.append(pa.array([""] * len(these), type=pa.large_string()))
            locals_.append(part)
        else:
            providers.append(pc.utf8_slice_codeunits(part, 0, int(width)))
            locals_.append(pc.utf8_slice_codeunits(part, int(width) + 1))
        rows.append(these)
    return Grouped(
        pa.concat_arrays([p.cast(pa.large_string()) for p in providers]),
        pa.concat_arrays([p.cast(pa.large_string()) for p in locals_]),
        np.concatenate(rows),
    )


@dataclass(frozen=True)
class Resolution:
    """How each value of an id column names a stored key (see `resolve`)."""

    keys: pd.Series  # the ledger key of each row; the value as written where it names none
    at: np.ndarray  # the stored row it names; -1 where none
    malformed: np.ndarray  # neither a local id nor a key <provider>/<local id>
    mismatch: np.ndarray  # a key whose provider is not the row's provider column
    ambiguous: dict[int, tuple[str, ...]]  # row position -> the providers having its local id


def resolve(named: pd.Series, provider: pd.Series | None, stored: pa.Array) -> Resolution:
    """Which of the `stored` keys each of `named` means, for a party who sees every provider:
    a key `<provider>/<local id>` as it is; a local id with the row's `provider` (when the
    column is there and filled in) qualified with it; a local id alone, the one stored key
    with that local id (ambiguous when several providers have it). Empty values name none.

    Whole columns in Arrow's C++ kernels: at millions of rows, a Python loop costs seconds."""
    text = arrow_text(named)
    is_key = qualified_ok(named)
    is_local = local_ok(named)
    given = arrow_text(provider) if provider is not None else pa.nulls(len(text), pa.large_string())
    has_provider = np.asarray(
        pc.not_equal(given, "").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool
    )
    with_column = is_local & has_provider
    candidate = text
    if with_column.any():
        joined = pc.binary_join_element_wise(given, text, _SEPARATOR)
        candidate = pc.if_else(pa.array(with_column), joined, text)
    at = positions(candidate, stored)
    at[~(is_key | with_column)] = -1
    mismatch = is_key & has_provider
    if mismatch.any():
        rows = np.flatnonzero(mismatch)
        written = text.take(pa.array(rows)).to_pylist()
        column = given.take(pa.array(rows)).to_pylist()
        mismatch[rows] = [provider_of(k) != p for k, p in zip(written, column, strict=True)]
        at[mismatch] = -1
    alone = is_local & ~has_provider
    ambiguous: dict[int, tuple[str, ...]] = {}
    if alone.any() and len(stored):
        ambiguous = _by_local_id(text.filter(pa.array(alone)), stored, alone, at)
    found = at >= 0
    keys = candidate
    if found.any():
        keys = pc.if_else(pa.array(found), stored.take(pa.array(np.maximum(at, 0))), candidate)
    return Resolution(
        pd.Series(pd.array(keys, dtype="str"), index=named.index),
        at,
        (named.astype("str") != "").to_numpy(bool) & ~is_key & ~is_local,
        mismatch,
        ambiguous,
    )


def _by_local_id(
    local: pa.Array, stored: pa.Array, alone: np.ndarray, at: np.ndarray
) -> dict[int, tuple[str, ...]]:
    """Resolve the rows `alone` (local ids with no provider) in `at`: a local id one provider
    has names that provider's key; one that several have is ambiguous (returned, with them)."""
    split = grouped(stored)
    first = positions(local, split.locals)
    # the same lookup over the entries reversed finds the last entry with that local id
    count = len(split.locals)
    last = positions(local, split.locals.take(pa.array(np.arange(count - 1, -1, -1))))
    last = np.where(last >= 0, count - 1 - last, -1)
    found = first >= 0
    several = found & (first != last)
    rows = np.flatnonzero(alone)
    single = found & ~several
    at[rows[single]] = split.rows[first[single]]
    if not several.any():
        return {}
    names = local.filter(pa.array(several)).to_pylist()
    asked = pa.array(sorted(set(names)), type=pa.large_string())
    sharing = pa.array(positions(split.locals, asked) >= 0)
    owners: dict[str, set[str]] = {}
    for name, owner in zip(
        split.locals.filter(sharing).to_pylist(),
        split.providers.filter(sharing).to_pylist(),
        strict=True,
    ):
        owners.setdefault(name, set()).add(owner)
    return {
        int(row): tuple(sorted(owners[name]))
        for row, name in zip(rows[several], names, strict=True)
    }


def local_ok(values: pd.Series) -> np.ndarray:
    """Which values are local ids (a bool array)."""
    return _matches(values, f"^{LOCAL}$")


def qualified_ok(values: pd.Series) -> np.ndarray:
    """Which values are well-formed keys `<provider>/<local id>` (a bool array)."""
    return _matches(values, f"^{PROVIDER}{SEPARATOR}{LOCAL}$")


def _matches(values: pd.Series, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(arrow_text(values), pattern)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def what_is_wrong(value: str) -> str:
    """Why `value` is not a local id, in words (a character a terminal or a spreadsheet would
    act on is named by its code point, never echoed)."""
    if len(value) > LOCAL_MAX:
        return f"is longer than {LOCAL_MAX} characters"
    first = value[:1]
    if first in ("=", "+", "-", "@"):
        return f"starts with '{first}', which a spreadsheet reads as a formula"
    bad = next((c for c in value if not re.fullmatch(r"[A-Za-z0-9._-]", c)), None)
    if bad is None:
        return f"starts with '{first}'"
    if bad == SEPARATOR:
        return "contains '/', which separates a provider from its own id"
    return f"contains {_shown(bad)}"


def _shown(char: str) -> str:
    if char.isascii() and char.isprintable():
        return f"'{char}'"
    return f"the character U+{ord(char):04X}"
