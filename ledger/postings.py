"""Posting entitlement into the ledger: for every key, what is owed now minus what was posted.

A key is (participant, metric, occurrence, payer). Reconciling a period as of a cut-off posts,
for every key whose entitlement differs from the sum of its postings so far, one posting of the
difference (SEMANTICS.md 5): an `outcome_payment` for a key's first posting, an `adjustment`
after. Re-running posts nothing. Postings are only ever inserted.

The caller (reconciliation) owns periods: it passes a `check_period` callback that raises for a
closed period, and may pass `period_of` so that a late item says which period it corrects.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import from_minor
from ledger.contracts import active_version, spec_version, typed_spec
from ledger.db import hold_until_commit
from ledger.entitlement import compute_entitlement
from ledger.entitlement.types import Entitlement
from ledger.facts import fetch_frame, load_facts, utc
from ledger.tables import Posting, table_of
from ledger.uploads import store_new

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
    check_period: Callable[[str], None] | None = None,
    period_of: Callable[[date], str] | None = None,
    entitlement: Entitlement | None = None,
) -> PostResult:
    """Post entitlement as of `as_of` minus postings so far into `period`, all or nothing.

    `entitlement` may be given (already computed by the caller, or hand-made in tests);
    otherwise it is computed from the facts as of `as_of` under the spec version (default:
    the one in force).
    """
    if check_period is not None:
        check_period(period)
    # two runs for one contract must never both post the same difference
    hold_until_commit(session, f"postings:{contract_id}")
    row = (
        active_version(session, contract_id)
        if spec_version_number is None
        else spec_version(session, contract_id, spec_version_number)
    )
    spec = typed_spec(row)
    if entitlement is None:
        entitlement = compute_entitlement(spec, load_facts(session, contract_id, as_of, spec))
    owed = entitlement.lines
    diff = differences(owed, posted_so_far(session, contract_id))
    diff = _why_no_longer_owed(session, contract_id, diff, entitlement)
    moment = utc(now or datetime.now().astimezone())
    rows = [
        _posting(
            item,
            contract_id,
            row.version,
            period,
            run_id,
            moment,
            spec.contract.exponent,
            period_of,
        )
        for item in diff.to_dict("records")
    ]
    store_new(
        session,
        Posting,
        rows,
        0,
        action="ledger.post",
        contract_id=contract_id,
        file=f"run:{run_id}",
        actor=actor,
        now=moment,
    )
    by_payer: dict[str, int] = {}
    for item in rows:
        by_payer[item["payer"]] = by_payer.get(item["payer"], 0) + item["amount"]
    return PostResult(contract_id, period, run_id, row.version, len(rows), by_payer)


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
    so that a reversal answers "why was this paid back" on its own."""
    diff = diff.assign(no_longer_owed="no longer owed")
    gone = (diff["_merge"] == "right_only").to_numpy()
    if not gone.any():
        return diff
    keys = diff.loc[gone, KEY]
    earlier = keys.merge(_earlier_evidence(session, contract_id, keys), on=KEY, how="left")
    evidence = earlier["evidence_ids"].fillna("").astype("str").tolist()
    wanted = {eid for ids in evidence for eid in ids.split(";") if eid}
    said = _what_became_of(wanted, entitlement, set(keys["participant_id"]))
    diff["evidence_ids"] = diff["evidence_ids"].astype("object")
    diff.loc[gone, "evidence_ids"] = evidence
    diff.loc[gone, "no_longer_owed"] = [_no_longer_owed(ids, said) for ids in evidence]
    return diff


def _no_longer_owed(ids: str, said: dict[str, str]) -> str:
    known = [said[eid] for eid in ids.split(";") if eid in said]
    return "no longer owed: " + "; ".join(known) if known else "no longer owed"


def _earlier_evidence(session: Session, contract_id: str, keys: pd.DataFrame) -> pd.DataFrame:
    """Per key: the evidence ids of all its postings so far (sorted, ";"-joined)."""
    table = table_of(Posting)
    people = sorted(set(keys["participant_id"]))
    found: list[Any] = []
    for start in range(0, len(people), _IN_BATCH):
        found += session.connection().execute(
            select(*(table.c[name] for name in KEY), table.c.evidence_ids).where(
                table.c.contract_id == contract_id,
                table.c.participant_id.in_(people[start : start + _IN_BATCH]),
            )
        )
    frame = pd.DataFrame(found, columns=[*KEY, "evidence_ids"]).astype({"occurrence": "int64"})
    ids = frame.merge(keys, on=KEY).groupby(KEY)["evidence_ids"]
    return ids.agg(_union).reset_index()


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


def _posting(
    item: dict[str, Any],
    contract_id: str,
    version: int,
    period: str,
    run_id: str,
    moment: datetime,
    exponent: int,
    period_of: Callable[[date], str] | None,
) -> dict[str, Any]:
    first = item["postings"] == 0
    achieved = item.get("achieved_on")
    achieved_on = None if achieved is None or pd.isna(achieved) else pd.Timestamp(achieved).date()
    rule = item.get("reason")
    rule = "" if rule is None or pd.isna(rule) else str(rule)
    if first:
        reason = rule
        corrects = period_of(achieved_on) if period_of and achieved_on else None
    else:
        owed, posted = (from_minor(int(item[k]), exponent) for k in ("owed", "posted"))
        why = rule if item["_merge"] != "right_only" else item["no_longer_owed"]
        reason = f"entitlement now {owed}, posted so far {posted}: {why}"
        corrects = item["last_period"]
    cut_by = item.get("cut_by")
    if isinstance(cut_by, str) and cut_by:
        reason = f"{reason} (cut by {cut_by})"
    evidence_ids = item.get("evidence_ids")
    return {
        "posting_id": uuid.uuid4().hex,
        "contract_id": contract_id,
        "spec_version": version,
        "period": period,
        "participant_id": item["participant_id"],
        "metric": item["metric"],
        "occurrence": int(item["occurrence"]),
        "payer": item["payer"],
        "amount": int(item["amount"]),
        "kind": OUTCOME_PAYMENT if first else ADJUSTMENT,
        "reason": reason,
        "achieved_on": achieved_on,
        "evidence_ids": evidence_ids if isinstance(evidence_ids, str) else "",
        "run_id": run_id,
        "posted_at": moment,
        "corrects_period": corrects if corrects and corrects != period else None,
    }
