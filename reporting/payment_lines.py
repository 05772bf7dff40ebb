"""The lines of a payer's claim for a period, and the evidence that earned nothing. Pure.

Every posting for the payer in the period is one line, with what a commissioner needs to check
it: who (pseudonymous id, cohort, provider), what (metric, occurrence, achieved on, evidence and
its references), the tariff the engine priced it at, the amount, the kind, the reason and the
spec version. The lines sum exactly to the period's claim because they are the postings the
claim sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ledger.domain.entitlement.coding import positions
from ledger.domain.entitlement.dates import day_number, day_numbers
from ledger.services.postings import KEY, OUTCOME_PAYMENT
from reporting.report import Column, Kind, Table, as_date

COHORT_LINE = "cohort:"  # cohort-level lines carry "cohort:<id>" (or "cohort:pool")

LINE_COLUMNS = (
    Column("posting_id"),
    Column("participant_id"),
    Column("cohort"),
    Column("provider"),
    Column("metric"),
    Column("occurrence", Kind.INTEGER),
    Column("achieved_on", Kind.DATE),
    Column("evidence_ids"),
    Column("evidence_references"),
    Column("tariff", Kind.MONEY),
    Column("amount", Kind.MONEY),
    Column("kind"),
    Column("reason"),
    Column("corrects_period"),
    Column("late_from_period"),
    Column("spec_version", Kind.INTEGER),
)
NOT_PAYABLE_COLUMNS = (
    Column("evidence_id"),
    Column("participant_id"),
    Column("cohort"),
    Column("provider"),
    Column("metric"),
    Column("achieved_on", Kind.DATE),
    Column("submitted_on", Kind.DATE),
    Column("reason"),
    Column("detail"),
)


def payment_lines(
    postings: pd.DataFrame,
    people: pd.DataFrame,
    payer: str,
    period: str,
    references: Mapping[str, str],
) -> Table:
    """The payer's postings in `period`, one line each, ordered by participant and metric.

    Each line shows what the engine decided when it was posted (the tariff, cohort and
    provider the posting keeps), never a price worked out again. A posting made before
    postings kept their cohort and provider takes them from the participant (facts that never
    change); its tariff is not known and stays empty."""
    mine = postings[(postings["payer"] == payer) & (postings["period"] == period)]
    # only the participants these lines name (a fifth of a million, not all of them)
    named = mine["participant_id"].unique()
    present = people[people["participant_id"].isin(named)]
    cohort_of = dict(zip(present["participant_id"], present["cohort"], strict=True))
    provider_of = dict(zip(present["participant_id"], present["provider"], strict=True))
    # a key posted before and no longer owed is posted without a date: the key's first
    # posting says when the outcome was achieved
    theirs = postings[postings["participant_id"].isin(named)]
    dated = theirs.dropna(subset=["achieved_on"]).drop_duplicates(KEY)
    achieved_of = {
        tuple(k): v
        for k, v in zip(
            dated[KEY].itertuples(index=False, name=None), dated["achieved_on"], strict=True
        )
    }
    rows = []
    for p in mine.itertuples(index=False):
        pid = str(p.participant_id)
        cohort = _kept(p.cohort)
        if cohort is None:
            cohort = (
                pid[len(COHORT_LINE) :] if pid.startswith(COHORT_LINE) else cohort_of.get(pid, "")
            )
        provider = _kept(p.provider)
        day = as_date(p.achieved_on) or as_date(
            achieved_of.get((pid, p.metric, p.occurrence, p.payer))
        )
        ids = [i for i in str(p.evidence_ids or "").split(";") if i]
        rows.append(
            (
                p.posting_id,
                pid,
                cohort,
                provider_of.get(pid, "") if provider is None else provider,
                p.metric,
                int(p.occurrence),
                day,
                ";".join(ids),
                "; ".join(references[i] for i in ids if i in references),
                None if pd.isna(p.tariff) else int(p.tariff),
                int(p.amount),
                p.kind,
                p.reason,
                # a first payment achieved in an earlier period is late, not a correction:
                # only an adjustment corrects what an earlier claim said
                (p.corrects_period or "") if p.kind != OUTCOME_PAYMENT else "",
                (p.corrects_period or "") if p.kind == OUTCOME_PAYMENT else "",
                int(p.spec_version),
            )
        )
    frame = pd.DataFrame(rows, columns=[c.name for c in LINE_COLUMNS], dtype="object")
    frame = frame.sort_values(
        ["participant_id", "metric", "occurrence", "posting_id"], kind="stable"
    ).reset_index(drop=True)
    return Table(
        "lines",
        "Lines",
        LINE_COLUMNS,
        frame,
        "every posting for this payer in the period; they sum to the claim",
    )


def _kept(value: object) -> str | None:
    """A text the posting kept, or None when it kept none (a posting from before)."""
    return None if value is None or pd.isna(value) else str(value)


def not_payable_lines(
    not_payable: pd.DataFrame,
    submitted: Mapping[str, object],
    people: pd.DataFrame,
    start: date,
    end: date,
) -> Table:
    """Evidence achieved or submitted in the period that earns nothing, with the reason why
    (`submitted`: when each of the not payable evidence rows was submitted)."""
    # whole columns at once: at a million participants there are hundreds of thousands of
    # rows not paid, and a dict of every participant's cohort cost more than the rest
    ids = not_payable["evidence_id"].astype("str")
    sent = pd.Series([submitted.get(i) for i in ids], dtype="object")
    achieved_day = day_numbers(not_payable["achieved_on"])
    sent_day = day_numbers(_utc_naive(sent))
    first, last = day_number(start), day_number(end)
    inside = ((achieved_day >= first) & (achieved_day <= last)) | (
        (sent_day >= first) & (sent_day <= last)
    )
    # a row not paid because its person withdrew would say who withdrew: the cover counts them
    inside &= (not_payable["reason"].astype("str") != "after_withdrawal").to_numpy(bool)
    kept = not_payable[inside].reset_index(drop=True)
    who = positions(kept["participant_id"], people["participant_id"])
    known = who >= 0

    def of_people(column: str) -> list[Any]:
        # only the cells of the kept rows' participants leave Arrow
        values = people[column].astype("str").take(np.where(known, who, 0)).tolist()
        return [v if ok else "" for v, ok in zip(values, known, strict=True)]

    rows = {
        "evidence_id": kept["evidence_id"].astype("str").tolist(),
        "participant_id": kept["participant_id"].astype("str").tolist(),
        "cohort": of_people("cohort"),
        "provider": of_people("provider"),
        "metric": kept["metric"].astype("str").tolist(),
        "achieved_on": [as_date(v) for v in kept["achieved_on"]],
        "submitted_on": [as_date(v) for v in sent[inside].tolist()],
        "reason": kept["reason"].astype("str").tolist(),
        "detail": kept["detail"].astype("str").tolist(),
    }
    frame = pd.DataFrame(
        dict(zip([c.name for c in NOT_PAYABLE_COLUMNS], rows.values(), strict=True)),
        dtype="object",
    )
    frame = frame.sort_values(["participant_id", "metric", "evidence_id"]).reset_index(drop=True)
    return Table(
        "not_payable",
        "Not payable",
        NOT_PAYABLE_COLUMNS,
        frame,
        "evidence achieved or submitted in the period that earns nothing, and why",
    )


def _utc_naive(moments: pd.Series) -> pd.Series:
    """Timestamps (aware or naive UTC, or missing) as naive UTC datetime64."""
    return pd.to_datetime(moments, utc=True).dt.tz_localize(None)
