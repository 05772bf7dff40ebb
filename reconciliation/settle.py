"""Settling a period the long way: the facts as of the cut-off, the entitlement, the
difference posted, the findings (reconciliation.rerun reuses all this when nothing changed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement import compute_entitlement
from ledger.services.facts import load_facts
from ledger.services.postings import KEY, PostResult, post_entitlement, posted_so_far
from ledger.storage.tables import SpecVersion
from reconciliation.digest import inputs_hash
from reconciliation.periods import Period, period_containing
from reconciliation.run_findings import Findings, run_findings


@dataclass(frozen=True)
class Settlement:
    """What a run settled, computed or reused: the entitlement per payer, what it posted, its
    findings and the inputs it records (fact counts, digest)."""

    owed: dict[str, int]
    posted: PostResult
    findings: Findings
    participants: int
    evidence: int
    results: int
    inputs_hash: str
    # the run whose computation was reused (None: computed by this run)
    reused_from: str | None = None


def compute_and_post(
    session: Session,
    version: SpecVersion,
    spec: ContractSpec,
    period: Period,
    cut_off: datetime,
    run_id: str,
    actor: str,
    moment: datetime,
    check_period: Callable[[str], None],
) -> Settlement:
    """Settle the period the long way: the facts as of the cut-off, the entitlement, the
    difference posted (`check_period` raises if the period may take no posting), the findings."""
    contract_id = spec.contract.id
    facts = load_facts(session, contract_id, cut_off, spec)
    posted_keys = posted_so_far(session, contract_id)
    # only the lines due in this period are built (a few hundred thousand of millions), and
    # only the not-payable rows that can explain a reversal: those of people paid before
    entitlement = compute_entitlement(
        spec,
        facts,
        wanted=lambda keys: due_mask(keys, posted_keys, period),
        not_payable=set(posted_keys["participant_id"].astype("str")),
    )
    # once this run has posted, the ledger holds exactly these lines' amounts per key
    findings = run_findings(session, spec, facts, entitlement.lines, period, cut_off)
    posted = post_entitlement(
        session,
        contract_id,
        period.id,
        cut_off,
        run_id,
        version.version,
        actor=actor,
        now=moment,
        check_period=check_period,
        period_of=lambda day: period_containing(day, spec.contract.payment_frequency).id,
        entitlement=entitlement,
    )
    return Settlement(
        owed=payer_sums(entitlement.lines),
        posted=posted,
        findings=findings,
        participants=len(facts.participants),
        evidence=len(facts.evidence),
        results=len(facts.results),
        inputs_hash=inputs_hash(spec, facts),
    )


def due_mask(lines: pd.DataFrame, posted: pd.DataFrame, period: Period) -> np.ndarray:
    """Which of `lines` (keys and achieved_on at least) to settle in `period`: keys achieved by
    its end, and every key already posted (a change to a key is due whenever it is found,
    wherever its first posting went)."""
    achieved = pd.to_datetime(lines["achieved_on"])
    keep = achieved.isna().to_numpy() | (achieved <= pd.Timestamp(period.end)).to_numpy()
    # Only a later line of a participant with postings can be a key already posted: join
    # those few on the whole key, not every line of a million participants.
    late = ~keep & lines["participant_id"].isin(posted["participant_id"].unique()).to_numpy()
    if late.any():
        # keys as plain text on both sides (the engine may hand categoricals)
        mine = lines.loc[late, KEY].astype({"participant_id": str, "metric": str, "payer": str})
        theirs = posted[KEY].drop_duplicates().astype(mine.dtypes.to_dict())
        known = mine.merge(theirs, on=KEY, how="left", indicator=True)
        keep[np.flatnonzero(late)] = (known["_merge"] == "both").to_numpy()
    return np.asarray(keep)


def payer_sums(lines: pd.DataFrame) -> dict[str, int]:
    """Payer -> the sum of its lines' amounts."""
    sums = lines.groupby("payer")["amount"].sum()
    return {str(payer): int(total) for payer, total in sums.items()}
