"""Metrics reached from a measure's rows: quantity thresholds (SEMANTICS 3.2), a metric achieved
on the first date a participant's cumulative quantity of a measure since start reaches the
threshold, and the payments on a quantity (a price per unit, a per-person scale: quantities.py).

Each measure row that helped reach a threshold becomes a *claim* on that threshold metric dated
on the crossing day (so one row can back several milestones); the metric's own window and
conditions are checked on that day later, like any claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from math import ceil

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.dates import NO_DAY
from ledger.domain.entitlement.evidence import Rows, Things
from ledger.domain.entitlement.quantities import quantity_claims
from ledger.domain.entitlement.reasons import CODE, COUNTS


@dataclass(frozen=True)
class Claims:
    """(evidence row, metric, day) triples: an evidence row claiming an occurrence of a metric.
    `units`: for a metric paid on a quantity, the quantity the occurrence is paid on (in the
    measure's minor units; the same on every row of the occurrence), else 0."""

    row: np.ndarray
    metric: np.ndarray
    day: np.ndarray
    person: np.ndarray
    units: np.ndarray

    @staticmethod
    def concat(parts: list[Claims]) -> Claims:
        def joined(name: str) -> np.ndarray:
            arrays = [getattr(part, name) for part in parts]
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)

        return Claims(*(joined(name) for name in ("row", "metric", "day", "person", "units")))


def threshold_claims(
    spec: ContractSpec, rows: Rows, things: Things
) -> tuple[Claims, np.ndarray, np.ndarray]:
    """Claims made by measure rows, and the measure rows that made none with their reason
    (threshold_not_reached, no_units or below_scale: that of the first metric in the spec
    reached from the row's measure)."""
    claims: list[Claims] = []
    unused: list[np.ndarray] = []
    unused_reason: list[np.ndarray] = []
    for number, measure in enumerate(spec.measures, start=things.metric_count):
        selected = np.flatnonzero((rows.thing == number) & (rows.reason == COUNTS))
        if selected.size == 0:
            continue
        frame = pd.DataFrame(
            {"person": rows.person[selected], "day": rows.day[selected]},
        )
        frame["quantity"] = rows.quantity[selected]
        daily = frame.groupby(["person", "day"], sort=True)["quantity"].sum().reset_index()
        daily["total"] = daily.groupby("person")["quantity"].cumsum()
        used = np.zeros(selected.size, dtype=bool)
        why = np.zeros(selected.size, dtype=np.int8)  # the first metric's reason for a row
        for position, metric in enumerate(spec.metrics):
            if metric.measure != measure.id:
                continue
            if metric.threshold is not None:
                needed = ceil(metric.threshold.quantity * Decimal(10) ** measure.decimals)
                found = _crossing(frame, daily, needed)
                code = CODE["threshold_not_reached"]
            else:
                found = quantity_claims(metric, measure.decimals, frame, daily)
                code = CODE["no_units"] if metric.per_unit is not None else CODE["below_scale"]
            helps, day, units = found
            used |= helps
            why[(why == 0) & ~helps] = code
            claims.append(
                Claims(
                    row=selected[helps],
                    metric=np.full(int(helps.sum()), position, dtype=np.int64),
                    day=day[helps].astype(np.int64),
                    person=rows.person[selected[helps]],
                    units=units[helps].astype(np.int64),
                )
            )
        unused.append(selected[~used])
        # a measure no metric is reached from: its rows reach no milestone either
        unused_reason.append(np.where(why == 0, CODE["threshold_not_reached"], why)[~used])
    left = np.concatenate(unused) if unused else np.zeros(0, dtype=np.int64)
    left_reason = np.concatenate(unused_reason) if unused else np.zeros(0, dtype=np.int8)
    return Claims.concat(claims), left, left_reason


Found = tuple[np.ndarray, np.ndarray, np.ndarray]  # (row helps, day claimed, units) per row


def _crossing(frame: pd.DataFrame, daily: pd.DataFrame, needed: int) -> Found:
    """A threshold: rows up to and including the first day the running total reaches it."""
    reached = daily[daily["total"] >= needed].groupby("person")["day"].min()
    crossing = reached.reindex(frame["person"].to_numpy(), fill_value=NO_DAY).to_numpy()
    helps = (crossing != NO_DAY) & (frame["day"].to_numpy() <= crossing)
    return helps, crossing, np.zeros(len(frame), dtype=np.int64)


def plain_claims(rows: Rows, things: Things) -> Claims:
    """Claims made by rows naming a metric directly, dated on their own day."""
    selected = np.flatnonzero(
        (rows.reason == COUNTS) & (rows.thing >= 0) & (rows.thing < things.metric_count)
    )
    return Claims(
        row=selected,
        metric=rows.thing[selected],
        day=rows.day[selected],
        person=rows.person[selected],
        units=np.zeros(selected.size, dtype=np.int64),
    )


THRESHOLD_NOT_REACHED = CODE["threshold_not_reached"]
