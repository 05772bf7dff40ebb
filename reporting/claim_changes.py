"""What changed since the payer's last claim, and what can no longer be claimed from whom. Pure.

A payer approving a claim asks two questions the lines answer only after a pivot: "what did
you take back from an earlier claim, from which claim, and why?" and "is there anything we
will not be asked for again?". Each change to an earlier claim quotes the claim it reverses
(the claims the key's earlier postings went out on); each used-up limit says whose it is and
which of this claim's lines it displaced or cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from contract_specs.model import ContractSpec, from_minor, to_minor
from ledger.services.postings import KEY, OUTCOME_PAYMENT
from reporting.claim_sources import IssuedClaim
from reporting.report import Column, Kind, Table

CHANGE_COLUMNS = (
    Column("participant_id", heading="Participant"),
    Column("outcome", heading="Outcome"),
    Column("achieved_on", Kind.DATE, "Achieved on"),
    Column("amount", Kind.MONEY, "Amount"),
    Column("reverses", heading="Reverses claim"),
    Column("why", heading="Why"),
)
LIMIT_COLUMNS = (  # the words last: they run on to the right, on screen and on paper
    Column("whom", heading="From whom"),
    Column("lines", Kind.INTEGER, "Lines affected"),
    Column("amount", Kind.MONEY, "Amount of those lines"),
    Column("what", heading="What can no longer be claimed"),
)
CAP_WORDS = {
    "participant_cap": "the per-participant cap",
    "metric_amount_cap": "the outcome's amount cap",
    "metric_count_cap": "the outcome's count cap",
    "contract_cap": "the contract cap",
}
COMMITMENT = "payer_commitment"


def cut_by(reason: str) -> str:
    """The limit that cut a line, as the engine named it ("" when none did)."""
    _, found, after = reason.rpartition("; cut by ")
    return after.strip() if found else ""


def _why(reason: str) -> str:
    """Why an earlier claim's line changed, in words: the limit that took its room, or what
    became of its evidence (the engine's and the posting's own text)."""
    cut = cut_by(reason)
    if cut == COMMITMENT:
        return "displaced: the commitment is used up; outcomes achieved earlier took its room"
    if cut:
        return f"cut by {CAP_WORDS.get(cut, cut)}"
    _, found, rule = reason.partition(": ")
    return rule if found else reason


def changes_since_last_claim(
    lines: pd.DataFrame,
    postings: pd.DataFrame,
    claim_of: Mapping[str, str],
    spec: ContractSpec,
    payer: str,
) -> Table:
    """Every line of this claim that changes an earlier claim, with the claims it reverses
    (`postings`: the payer's earlier postings of the keys changed; `claim_of`: posting id ->
    the claim it went out on)."""
    names = {m.id: m.name for m in spec.metrics} | {m.id: m.name for m in spec.cohort_metrics}
    changed = lines[lines["kind"] != OUTCOME_PAYMENT]
    earlier = postings[
        (postings["payer"] == payer) & ~postings["posting_id"].isin(set(lines["posting_id"]))
    ]
    before: dict[tuple[object, ...], list[str]] = {}
    for row in earlier[[*KEY, "posting_id"]].itertuples(index=False, name=None):
        before.setdefault(tuple(row[:-1]), []).append(str(row[-1]))
    rows = []
    for line in changed.itertuples(index=False):
        key = (line.participant_id, line.metric, int(line.occurrence), payer)
        quoted = sorted({claim_of[p] for p in before.get(key, []) if p in claim_of})
        rows.append(
            (
                line.participant_id,
                names.get(str(line.metric), str(line.metric)),
                line.achieved_on,
                int(line.amount),
                "; ".join(quoted) or f"the {line.corrects_period} claim",
                _why(str(line.reason)),
            )
        )
    frame = pd.DataFrame(rows, columns=[c.name for c in CHANGE_COLUMNS], dtype="object")
    return Table(
        "claim_changes",
        "What changed since the last claim",
        CHANGE_COLUMNS,
        frame,
        "each change to an earlier claim: the claim it reverses, and why"
        if len(frame)
        else "nothing in this claim changes an earlier claim",
    )


def no_longer_claimable(
    lines: pd.DataFrame,
    spec: ContractSpec,
    payer: str,
    claimed_after: int,
    contract_used_after: int | None,
    exponent: int,
) -> Table:
    """The payer's commitment and the contract cap when this claim uses them up, and the lines
    of this claim that a limit cut or displaced."""
    party = spec.party(payer).name
    rows: list[tuple[str, str, int | None, int | None]] = []  # whom, what, lines, amount
    commitment = next((p.commitment for p in spec.payers if p.party == payer), None)
    by_cut = lines.assign(cut=[cut_by(str(r)) for r in lines["reason"]])
    if commitment is not None:
        limit = to_minor(commitment, exponent)
        if claimed_after >= limit:
            displaced = by_cut[(by_cut["cut"] == COMMITMENT) & (by_cut["amount"] < 0)]
            partial = by_cut[(by_cut["cut"] == COMMITMENT) & (by_cut["amount"] >= 0)]
            rows.append(
                (
                    party,
                    f"its commitment of {from_minor(limit, exponent):,} {spec.contract.currency} "
                    "is used up: nothing more is claimed from it",
                    None,
                    None,
                )
            )
            if len(partial):
                rows.append(
                    (party, "paid in part, up to the commitment", len(partial), _total(partial))
                )
            if len(displaced):
                rows.append(
                    (
                        party,
                        "taken back from earlier claims, displaced (see what changed)",
                        len(displaced),
                        _total(displaced),
                    )
                )
                late = lines[lines["late_from_period"].astype("str") != ""]
                rows.append(
                    (
                        party,
                        "displaced them: achieved earlier, evidenced late, paid in this claim",
                        len(late),
                        _total(late),
                    )
                )
    if spec.caps.contract is not None and contract_used_after is not None:
        cap = to_minor(spec.caps.contract, exponent)
        if contract_used_after >= cap:
            rows.append(("every payer", "the contract cap is used up", None, None))
    for cut, words in CAP_WORDS.items():
        hit = by_cut[by_cut["cut"] == cut]
        if len(hit):
            rows.append((party, f"cut by {words}", len(hit), _total(hit)))
    frame = pd.DataFrame(rows, columns=["whom", "what", "lines", "amount"], dtype="object")
    frame = frame[[c.name for c in LIMIT_COLUMNS]]
    return Table(
        "claim_limits",
        "What can no longer be claimed, from whom",
        LIMIT_COLUMNS,
        frame,
        "limits this claim reached, and the lines they cut or displaced"
        if len(frame)
        else "no commitment or cap cut any line of this claim",
    )


def _total(lines: pd.DataFrame) -> int:
    return int(lines["amount"].sum())


def previous_claim(claims: Sequence[IssuedClaim], period: str) -> IssuedClaim | None:
    """The payer's last claim before this period's (the one "since the last claim" means)."""
    numbers = [c.number for c in claims if c.period == period]
    first = min(numbers) if numbers else None
    before = [c for c in claims if c.period != period and (first is None or c.number < first)]
    return before[-1] if before else None
