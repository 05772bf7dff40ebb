"""Payer shares: which split is in force for each line, and the exact split of an amount.

SEMANTICS 1 and 3.7: each share is floored to the minor unit; the minor units left over go one
at a time to the payers with a non-zero share, in the order `spec.payers` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from contract_specs.model import ContractSpec, Schedule
from ledger.domain.entitlement.schedules import every_metric, in_force


@dataclass(frozen=True)
class ShareTable:
    """Every share map the spec declares, as integer numerators over one denominator.

    `numerators[k, j]` is payer `payers[j]`'s share in map k, so that share = numerator /
    `denominator` exactly (a share of 33.333% has numerator 33333 over 100000)."""

    payers: tuple[str, ...]
    maps: tuple[Mapping[str, Decimal], ...]
    labels: tuple[str, ...]
    numerators: np.ndarray
    denominator: int


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def share_table(spec: ContractSpec) -> ShareTable:
    """Contract share maps first (in schedule order), then each metric's overrides."""
    maps: list[Mapping[str, Decimal]] = []
    labels: list[str] = []
    for entry in spec.payer_shares.entries:
        maps.append(entry.value)
        labels.append(f"shares from {entry.from_.isoformat()}")
    for metric in every_metric(spec):
        if metric.payer_shares is not None:
            for entry in metric.payer_shares.entries:
                maps.append(entry.value)
                labels.append(f"{metric.id} shares from {entry.from_.isoformat()}")
    payers = tuple(p.party for p in spec.payers)
    places = max((_decimals(v) for m in maps for v in m.values()), default=0)
    scale = 10**places
    numerators = np.array(
        [[int(m.get(payer, Decimal(0)) * scale) for payer in payers] for m in maps],
        dtype=np.int64,
    ).reshape(len(maps), len(payers))
    return ShareTable(payers, tuple(maps), tuple(labels), numerators, 100 * scale)


def share_ids(
    spec: ContractSpec, table: ShareTable, positions: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """The share map in force for each line: the metric's override if it has one in force that
    day, else the contract's, else (a day before every entry) the contract's first."""
    contract = in_force(spec.payer_shares, days)
    ids = np.maximum(contract, 0)
    offset = len(spec.payer_shares.entries)
    for position, metric in enumerate(every_metric(spec)):
        override: Schedule[Mapping[str, Decimal]] | None = metric.payer_shares
        if override is None:
            continue
        rows = positions == position
        found = in_force(override, days[rows])
        ids[rows] = np.where(found >= 0, offset + found, ids[rows])
        offset += len(override.entries)
    return np.asarray(ids)


def split(amounts: np.ndarray, numerators: np.ndarray, denominator: int) -> np.ndarray:
    """Each amount split into payer parts (one column per payer) that sum exactly to it."""
    floors = amounts[:, None] * numerators // denominator
    left = amounts - floors.sum(axis=1)
    sharing = numerators > 0
    # the k-th sharing payer in spec order gets one more minor unit when k <= what is left over
    rank = np.cumsum(sharing, axis=1)
    return np.asarray(floors + (sharing & (rank <= left[:, None])))
