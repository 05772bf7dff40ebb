"""Quantity thresholds (SEMANTICS 3.2): a metric achieved on the first date a participant's
cumulative quantity of a measure since start reaches the threshold.

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
from ledger.domain.entitlement.reasons import CODE, COUNTS


@dataclass(frozen=True)
class Claims:
    """(evidence row, metric, day) triples: an evidence row claiming an occurrence of a metric."""

    row: np.ndarray
    metric: np.ndarray
    day: np.ndarray
    person: np.ndarray

    @staticmethod
    def concat(parts: list[Claims]) -> Claims:
        def joined(name: str) -> np.ndarray:
            arrays = [getattr(part, name) for part in parts]
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)

        return Claims(joined("row"), joined("metric"), joined("day"), joined("person"))


def threshold_claims(spec: ContractSpec, rows: Rows, things: Things) -> tuple[Claims, np.ndarray]:
    """Claims made by measure rows, and the measure rows that made none (threshold_not_reached)."""
    claims: list[Claims] = []
    unused: list[np.ndarray] = []
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
        for position, metric in enumerate(spec.metrics):
            if metric.threshold is None or metric.threshold.measure != measure.id:
                continue
            needed = ceil(metric.threshold.quantity * Decimal(10) ** measure.decimals)
            reached = daily[daily["total"] >= needed].groupby("person")["day"].min()
            crossing = reached.reindex(frame["person"].to_numpy(), fill_value=NO_DAY).to_numpy()
            # rows up to and including the crossing day make the milestone
            helps = (crossing != NO_DAY) & (frame["day"].to_numpy() <= crossing)
            used |= helps
            claims.append(
                Claims(
                    row=selected[helps],
                    metric=np.full(int(helps.sum()), position, dtype=np.int64),
                    day=crossing[helps].astype(np.int64),
                    person=rows.person[selected[helps]],
                )
            )
        unused.append(selected[~used])
    left = np.concatenate(unused) if unused else np.zeros(0, dtype=np.int64)
    return Claims.concat(claims), left


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
    )


THRESHOLD_NOT_REACHED = CODE["threshold_not_reached"]
