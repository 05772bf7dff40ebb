"""Posting entitlement into the ledger: for every key, what is owed now minus what was posted.

A key is (participant, metric, occurrence, payer). Reconciling a period as of a cut-off posts,
for every key whose entitlement differs from the sum of its postings so far, one posting of the
difference (SEMANTICS.md 5): an `outcome_payment` for a key's first posting, an `adjustment`
after. Re-running posts nothing. Postings are only ever inserted.

Each posting keeps what the engine decided for its line (tariff, cohort, provider, the cap that
cut it and by how much), so that reports read the decision instead of making it again. The
caller (reconciliation) checks the period is open before it calls; a late item says which
period it corrects (periods are pure domain: ledger.domain.periods).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import ContractSpec, Frequency, from_minor
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.entitlement.types import Entitlement
from ledger.domain.periods import period_containing
from ledger.services.contracts import ActiveSpec, active_version, spec_version, typed_spec
from ledger.services.facts import fetch_frame, load_facts, utc
from ledger.storage.db import hold_until_commit
from ledger.storage.run_records import store_postings
from ledger.storage.tables import Posting, table_of

KEY = ["participant_id", "metric", "occurrence", "payer"]
OUTCOME_PAYMENT = "outcome_payment"
ADJUSTMENT = "adjustment"
_IN_BATCH = 1_000  # participant ids per IN (...) list: well inside every driver's limits


@dataclass(frozen=True)
class PostResult:
    """What a run posted: how many postings and their sum per payer (minor units)."""

    contract_id: str
    period: str
    run_id: str
    spec_version: int
    postings: int
    by_payer: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_payer.values())


def post_entitlement(
    session: Session,
    contract_id: str,
    period: str,
    as_of: datetime,
    run_id: str,
    spec_version_number: int | None = None,
    *,
    actor: str = "ledger",
    now: datetime | None = None,
    entitlement: Entitlement | None = None,
    spec: ActiveSpec | None = None,
    posted: pd.DataFrame | None = None,
) -> PostResult:
    """Post entitlement as of `as_of` minus postings so far into `period`, all or nothing.

    The caller has checked that `period` takes postings. `entitlement` may be given (already
    computed by the caller, or hand-made in tests); otherwise it is computed from the facts as
    of `as_of` under the spec version (default: the one in force). A caller that already has
    the spec (`spec`) or the postings so far (`posted`, read under the postings lock) passes
    them, so that a run reads each once."""
    # two runs for one contract must never both post the same difference
    hold_until_commit(session, f"postings:{contract_id}")
    if spec is None:
        row = (
            active_version(session, contract_id)
            if spec_version_number is None
            else spec_version(session, contract_id, spec_version_number)
        )
        spec = ActiveSpec(row.version, typed_spec(row))
    if entitlement is None:
        entitlement = compute_entitlement(
            spec.spec, load_facts(session, contract_id, as_of, spec.spec)
        )
    so_far = posted_so_far(session, contract_id) if posted is None else posted
    diff = differences(entitlement.lines, so_far)
    diff = _why_no_longer_owed(session, contract_id, diff, entitlement)
    moment = utc(now or datetime.now().astimezone())
    columns = posting_columns(diff, period, spec.spec)
    store_postings(
        session,
        {
            **columns,
            "contract_id": contract_id,
            "spec_version": spec.version,
            "period": period,
            "run_id": run_id,
            "posted_at": moment,
        },
        len(diff),
        contract_id=contract_id,
        run_id=run_id,
        actor=actor,
        now=moment,
    )
    sums = diff.groupby(diff["payer"].astype("str"))["amount"].sum()
    by_payer = {str(payer): int(total) for payer, total in sums.items()}
    return PostResult(contract_id, period, run_id, spec.version, len(diff), by_payer)


def posted_so_far(session: Session, contract_id: str) -> pd.DataFrame:
    """Per key: the sum of its postings, how many there are and the last period posted to."""
    table = table_of(Posting)
    key = [table.c[name] for name in KEY]
    frame = fetch_frame(
        session,
        select(*key, func.sum(table.c.amount), func.count(), func.max(table.c.period))
        .where(table.c.contract_id == contract_id)
        .group_by(*key),
        [*KEY, "posted", "postings", "last_period"],
    )
    return frame.astype({"occurrence": "int64", "posted": "int64", "postings": "int64"})


def differences(lines: pd.DataFrame, posted: pd.DataFrame) -> pd.DataFrame:
    """Keys whose entitlement differs from what was posted, with the difference `amount`.

    A key posted before but absent from the entitlement is owed nothing now."""
    owed = lines.astype({"occurrence": "int64", "amount": "int64"})
    merged = owed.merge(posted, on=KEY, how="outer", indicator=True)
    merged["owed"] = merged["amount"].fillna(0).astype("int64")
    merged["posted"] = merged["posted"].fillna(0).astype("int64")
    merged["postings"] = merged["postings"].fillna(0).astype("int64")
    merged["amount"] = merged["owed"] - merged["posted"]
    changed = merged[merged["amount"] != 0]
    return changed.sort_values(KEY, kind="stable").reset_index(drop=True)


def _why_no_longer_owed(
    session: Session, contract_id: str, diff: pd.DataFrame, entitlement: Entitlement
) -> pd.DataFrame:
    """Keys that lost their line (revoked, rejected, no longer valid evidence) carry the
    evidence of their earlier postings, and a `no_longer_owed` text saying what became of it,
    so that a reversal answers "why was this paid back" on its own; and the cohort, provider
    and tariff their earlier postings were decided with."""
    diff = diff.assign(no_longer_owed="no longer owed")
    gone = (diff["_merge"] == "right_only").to_numpy()
    if not gone.any():
        return diff
    keys = diff.loc[gone, KEY]
    earlier = keys.merge(_earlier(session, contract_id, keys), on=KEY, how="left")
    evidence = earlier["evidence_ids"].fillna("").astype("str").tolist()
    wanted = {eid for ids in evidence for eid in ids.split(";") if eid}
    said = _what_became_of(wanted, entitlement, set(keys["participant_id"]))
    for name in ("evidence_ids", "cohort", "provider", "tariff"):
        # lines made by hand (tests, examples) may not carry what the engine decides
        diff[name] = diff[name].astype("object") if name in diff else None
    diff.loc[gone, "evidence_ids"] = evidence
    for name in ("cohort", "provider", "tariff"):
        diff.loc[gone, name] = earlier[name].astype("object").tolist()
    diff.loc[gone, "no_longer_owed"] = [_no_longer_owed(ids, said) for ids in evidence]
    return diff


def _no_longer_owed(ids: str, said: dict[str, str]) -> str:
    known = [said[eid] for eid in ids.split(";") if eid in said]
    return "no longer owed: " + "; ".join(known) if known else "no longer owed"


def _earlier(session: Session, contract_id: str, keys: pd.DataFrame) -> pd.DataFrame:
    """Per key: the evidence ids of all its postings so far (sorted, ";"-joined), and the
    cohort, provider and tariff its postings were decided with (the first one that says)."""
    table = table_of(Posting)
    people = sorted(set(keys["participant_id"]))
    kept = ("evidence_ids", "cohort", "provider", "tariff")
    found: list[Any] = []
    for start in range(0, len(people), _IN_BATCH):
        found += session.connection().execute(
            select(*(table.c[name] for name in (*KEY, *kept)))
            .where(
                table.c.contract_id == contract_id,
                table.c.participant_id.in_(people[start : start + _IN_BATCH]),
            )
            .order_by(table.c.id)
        )
    frame = pd.DataFrame(found, columns=[*KEY, *kept]).astype({"occurrence": "int64"})
    groups = frame.merge(keys, on=KEY).groupby(KEY)
    return groups.agg(
        evidence_ids=("evidence_ids", _union),
        cohort=("cohort", "first"),
        provider=("provider", "first"),
        tariff=("tariff", "first"),
    ).reset_index()


def _union(texts: pd.Series) -> str:
    return ";".join(sorted({i for text in texts for i in str(text).split(";") if i}))


def _what_became_of(wanted: set[str], entitlement: Entitlement, people: set[str]) -> dict[str, str]:
    """evidence id -> what became of it: the engine's reason it counts for nothing now (with
    the numbers behind it), or the occurrence it backs now (occurrences renumber when an
    earlier one stops counting)."""
    said: dict[str, str] = {}
    lines = entitlement.lines[entitlement.lines["participant_id"].isin(people)]
    for ids, metric, n in zip(
        lines["evidence_ids"], lines["metric"], lines["occurrence"], strict=True
    ):
        for eid in wanted.intersection(str(ids).split(";")):
            said.setdefault(eid, f"evidence {eid} counts for {metric} occurrence {int(n)} now")
    frame = entitlement.not_payable
    frame = frame[frame["evidence_id"].isin(wanted)]
    for eid, reason, detail in zip(
        frame["evidence_id"], frame["reason"], frame["detail"], strict=True
    ):
        said[str(eid)] = f"evidence {eid} {reason}" + (f" ({detail})" if detail else "")
    return said


def posting_columns(diff: pd.DataFrame, period: str, spec: ContractSpec) -> dict[str, Any]:
    """The postings of `diff` (differences, with why) column by column: a first posting of a
    key is an outcome payment whose reason is the rule that priced it; a later one is an
    adjustment saying what is owed now, what was posted and why. Whole columns at once: a
    first run at a million participants posts hundreds of thousands of lines."""
    n = len(diff)
    exponent = spec.contract.exponent
    first = (diff["postings"] == 0).to_numpy()
    rule = diff["reason"].astype("object").where(diff["reason"].notna(), "").astype("str")
    achieved = pd.to_datetime(diff["achieved_on"])
    reason = rule.to_numpy(dtype=object).copy()
    corrects = np.full(n, None, dtype=object)
    # a first posting of a key achieved in an earlier period says which period it corrects
    days = achieved.dt.date.astype("object").where(achieved.notna(), None)
    frequency = spec.contract.payment_frequency
    distinct = {day: _period_id(day, frequency) for day in set(days[first]) if day is not None}
    corrects[first] = [distinct.get(day) for day in days[first]]
    later = np.flatnonzero(~first)
    if len(later):
        part = diff.iloc[later]
        gone = (part["_merge"] == "right_only").to_numpy()
        why = np.where(gone, part["no_longer_owed"].astype("str"), rule.iloc[later])
        reason[later] = [
            f"entitlement now {from_minor(int(o), exponent)}, "
            f"posted so far {from_minor(int(p), exponent)}: {w}"
            for o, p, w in zip(part["owed"], part["posted"], why, strict=True)
        ]
        corrects[later] = part["last_period"].astype("object").to_numpy()
    # the engine's reason already names the cap that cut a line ("; cut by ..."): one place
    # builds reason text, so the posting does not say it a second time
    corrects[corrects == period] = None
    evidence_ids = diff["evidence_ids"]
    return {
        "posting_id": _new_ids(n),
        "participant_id": diff["participant_id"].astype("str"),
        "metric": diff["metric"].astype("str"),
        "occurrence": diff["occurrence"].astype("int64"),
        "payer": diff["payer"].astype("str"),
        "amount": diff["amount"].astype("int64"),
        "kind": np.where(first, OUTCOME_PAYMENT, ADJUSTMENT).astype(object),
        "reason": reason,
        "achieved_on": achieved,
        "evidence_ids": evidence_ids.astype("object").where(evidence_ids.notna(), "").astype("str"),
        "corrects_period": corrects,
        **decided(diff),
    }


def decided(diff: pd.DataFrame) -> dict[str, Any]:
    """What the engine decided for each line of `diff`, as posting columns: cohort, provider,
    tariff, and the cap that cut it and by how much (none for a key no longer owed)."""
    gone = (diff["_merge"] == "right_only").to_numpy()

    def text(name: str) -> pd.Series:
        values = diff[name] if name in diff else pd.Series([None] * len(diff), dtype="object")
        return values.astype("object").where(values.notna(), None)

    def whole(name: str) -> pd.Series:
        values = diff[name] if name in diff else pd.Series([None] * len(diff), dtype="object")
        return pd.Series(pd.array(values.tolist(), dtype="Int64"), index=diff.index)

    cut_by = text("cut_by")
    cut_amount = whole("cut_amount")
    return {
        "cohort": text("cohort"),
        "provider": text("provider"),
        "tariff": whole("tariff"),
        "cut_by": cut_by.where(~gone, None),
        "cut_amount": cut_amount.where(~gone, pd.NA),
    }


def _period_id(day: Any, frequency: Frequency) -> str:
    return period_containing(day, frequency).id


def _new_ids(n: int) -> list[str]:
    """`n` random UUIDs (version 4) as 32 hex digits, made in one pass over random bytes."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]
