"""Deterministic participants and evidence for a contract spec, at any size.

`generate` builds the frames a provider and a verifier would upload (participants, evidence,
verification decisions) plus what no upload carries but tests and benchmarks need: when each
evidence row was submitted, and which rows were made wrong on purpose. The same spec, size and
seed give byte-identical files. Everything is vectorised, so a million participants and four
million evidence rows take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from contract_specs.loader import load_spec
from contract_specs.model import ContractSpec, Metric, Verification
from ledger.domain.entitlement.dates import add_months
from ledger.domain.entitlement.status import DECISIONS
from ledger.services.evidence import COLUMNS as EVIDENCE_COLUMNS
from ledger.services.verification import COLUMNS as DECISION_COLUMNS
from synthetic.dates import Days, quarter_start, to_datetime64
from synthetic.funnel import (
    FLAWS,
    MetricOutcomes,
    PlantDrop,
    check_drop,
    prerequisites,
    simulate,
    stream,
)
from synthetic.ids import numbered
from synthetic.people import Index, People, generate_people, spec_providers
from synthetic.profiles import FAIR_CHANCE_FUND, Profile

SUBMITTED_COLUMNS = ("evidence_id", "submitted_on")
PLANTED_COLUMNS = ("file", "id", "flaw")

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}

# The evidence type written when a metric accepts any type.
ANY_EVIDENCE_TYPE = "provider_record"

REJECTION_REASONS = (
    "document does not show the date claimed",
    "document is not signed",
    "participant id does not match the document",
)
REVOCATION_REASONS = (
    "tenancy ended before the date claimed",
    "employer withdrew the confirmation",
    "audit found the document was not genuine",
)


@dataclass(frozen=True)
class Shares:
    """What share of evidence ends how: the rest is verified on time."""

    pending: float = 0.05
    rejected: float = 0.03
    revoked: float = 0.01
    # submitted in a later quarter than the one in which it was achieved
    late: float = 0.07
    # recorded wrongly on purpose (too early for a gap; separately, outside the window)
    flawed: float = 0.02
    # participants who fail their cohort's eligibility (0 unless an error test asks); their
    # evidence stays in the evidence file, so an import of it meets "not enrolled" rows too
    ineligible: float = 0.0


@dataclass(frozen=True)
class GeneratedData:
    """The generated frames. `decisions` are imported before `revocations` (which revoke some
    of the rows verified there); `submitted_on` and `planted` never go into an upload file."""

    spec: ContractSpec
    seed: int
    participants: pd.DataFrame
    evidence: pd.DataFrame
    decisions: pd.DataFrame
    revocations: pd.DataFrame
    submitted_on: pd.DataFrame
    planted: pd.DataFrame


def parse_size(text: str) -> int:
    """'10k', '100k', '1m' or a whole number of participants."""
    cleaned = text.strip().lower()
    if cleaned in SIZES:
        return SIZES[cleaned]
    if cleaned.isdigit() and int(cleaned) > 0:
        return int(cleaned)
    raise ValueError(f"size {text!r}: use 10k, 100k, 1m or a whole number above 0")


def generate(
    spec_path: Path | str | ContractSpec,
    participants: int,
    seed: int = 20151,
    start_quarter_split: Sequence[float] | None = None,
    plant_drop: PlantDrop | None = None,
    *,
    extra_providers: int = 0,
    shares: Shares = Shares(),
    profiles: Mapping[str, Profile] = FAIR_CHANCE_FUND,
) -> GeneratedData:
    """Participants and evidence for the spec (a path, or a spec already loaded).

    `start_quarter_split` weighs the quarters of each enrolment window (None: uniform);
    `plant_drop` makes one provider's outcome rate fall from a quarter on."""
    if participants < 1:
        raise ValueError(f"participants {participants}: generate at least 1")
    spec = spec_path if isinstance(spec_path, ContractSpec) else load_spec(Path(spec_path))
    providers = spec_providers(spec, extra_providers)
    if plant_drop is not None:
        check_drop(plant_drop, spec, providers)
    people = generate_people(
        spec,
        participants,
        stream(seed, "participants"),
        providers,
        start_quarter_split,
        shares.ineligible,
    )
    outcomes = simulate(spec, people, seed, profiles, shares.flawed, plant_drop)
    evidence, flaw = _evidence(spec, people, outcomes, stream(seed, "evidence"))
    del outcomes  # a few hundred MB at a million participants, not needed any more
    submitted = _submitted_on(evidence, stream(seed, "submitted"), shares.late)
    decisions, revocations = _decisions(spec, evidence, stream(seed, "decisions"), shares)
    planted = pd.concat(
        [
            pd.DataFrame(
                {
                    "file": "participants",
                    "id": people.frame["participant_id"][people.ineligible],
                    "flaw": "ineligible",
                }
            ),
            pd.DataFrame(
                {
                    "file": "evidence",
                    "id": evidence["evidence_id"][flaw != 0],
                    "flaw": np.asarray(FLAWS, dtype=object)[flaw[flaw != 0]],
                }
            ),
        ],
        ignore_index=True,
    )
    return GeneratedData(
        spec=spec,
        seed=seed,
        participants=people.frame,
        evidence=evidence,
        decisions=decisions,
        revocations=revocations,
        submitted_on=submitted,
        planted=planted.astype({"file": "str", "id": "str", "flaw": "str"}),
    )


def _evidence(
    spec: ContractSpec,
    people: People,
    outcomes: Sequence[MetricOutcomes],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, npt.NDArray[np.int8]]:
    """One evidence row per outcome reached, sorted by date, then participant, then metric."""
    names: list[str] = []  # what the row's `metric` column says (a measure id for quantities)
    types: list[str] = []
    quantities: list[str | None] = []
    parts: list[tuple[npt.NDArray[np.int64], ...]] = []
    outcomes = sorted(outcomes, key=lambda r: spec.metrics.index(r.metric))
    for position, result in enumerate(outcomes):
        who = np.flatnonzero(result.achieved)
        accepted = _evidence_types(spec, result.metric)
        weights = 1 / np.arange(1, len(accepted) + 1)  # the first type is the usual one
        chosen = rng.choice(len(accepted), size=who.size, p=weights / weights.sum())
        type_codes = np.array([_code(types, t) for t in accepted], dtype=np.int64)[chosen]
        names.append(result.metric.threshold.measure if result.metric.threshold else "")
        quantities.append(_increment(spec, result.metric))
        parts.append(
            (
                who,
                np.full(who.size, position, dtype=np.int64),
                result.recorded[who],
                type_codes,
                result.flaw[who].astype(np.int64),
            )
        )
    who, metric, day, type_code, flaw = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.lexsort((metric, who, day))
    who, metric, day, type_code, flaw = (a[order] for a in (who, metric, day, type_code, flaw))
    labels: list[str] = []
    label_codes = np.array(
        [_code(labels, name or r.metric.id) for name, r in zip(names, outcomes, strict=True)],
        dtype=np.int64,
    )
    count = who.size
    references = rng.integers(10_000_000, 100_000_000, size=count)
    quantity_labels = sorted({q for q in quantities if q is not None})
    quantity_codes = np.array(
        [-1 if q is None else quantity_labels.index(q) for q in quantities], dtype=np.int64
    )
    frame = pd.DataFrame(
        {
            "evidence_id": numbered("E", np.arange(1, count + 1), max(7, len(str(count)))),
            "participant_id": pd.Categorical.from_codes(
                who, categories=people.frame["participant_id"].to_numpy(object)
            ),
            "metric": pd.Categorical.from_codes(label_codes[metric], categories=labels),
            "achieved_on": to_datetime64(day),
            "evidence_type": pd.Categorical.from_codes(type_code, categories=types),
            # empty unless the row evidences a measure's quantity
            "quantity": pd.Categorical.from_codes(
                quantity_codes[metric], categories=quantity_labels
            ),
            "reference": numbered("DOC-", references, 8),
        }
    )
    return frame, flaw.astype(np.int8)


def _code(values: list[str], value: str) -> int:
    """The position of `value` in `values`, appending it the first time (stable categories)."""
    if value not in values:
        values.append(value)
    return values.index(value)


def _evidence_types(spec: ContractSpec, metric: Metric) -> tuple[str, ...]:
    if metric.threshold is not None:
        measure = next((m for m in spec.measures if m.id == metric.threshold.measure), None)
        if measure is not None and measure.evidence_types:
            return measure.evidence_types
    return metric.evidence_types or (ANY_EVIDENCE_TYPE,)


def _increment(spec: ContractSpec, metric: Metric) -> str | None:
    """For a threshold metric, the quantity that takes the cumulative total from the lower
    milestone (its implicit prerequisite) exactly to this one; None for other metrics."""
    if metric.threshold is None:
        return None
    lower = Decimal(0)
    for prerequisite in prerequisites(spec, metric):
        before = spec.metric(prerequisite.metric).threshold
        if before is not None and before.measure == metric.threshold.measure:
            lower = max(lower, before.quantity)
    measure = next((m for m in spec.measures if m.id == metric.threshold.measure), None)
    decimals = measure.decimals if measure is not None else 2
    return str((metric.threshold.quantity - lower).quantize(Decimal(1).scaleb(-decimals)))


def _submitted_on(evidence: pd.DataFrame, rng: np.random.Generator, late: float) -> pd.DataFrame:
    """When each row reached the ledger: within three weeks and inside the quarter it was
    achieved in, or (a `late` share) some time in a later quarter."""
    achieved: Days = evidence["achieved_on"].to_numpy("datetime64[D]").astype(np.int64)
    next_quarter = add_months(quarter_start(achieved), 3)
    on_time = np.minimum(achieved + rng.integers(0, 22, size=achieved.size), next_quarter - 1)
    delayed = next_quarter + rng.integers(0, 46, size=achieved.size)
    submitted = np.where(rng.random(achieved.size) < late, delayed, on_time)
    return pd.DataFrame(
        {"evidence_id": evidence["evidence_id"], "submitted_on": to_datetime64(submitted)}
    )


def _decisions(
    spec: ContractSpec, evidence: pd.DataFrame, rng: np.random.Generator, shares: Shares
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The verifier's decisions, as two files imported one after the other: first verified or
    rejected, then the revocations of some verified rows (only verified evidence can be
    revoked). Pending rows, and rows of metrics verified automatically, have no decision."""
    automatic = {m.id for m in spec.metrics if m.verification is Verification.AUTOMATIC}
    automatic |= {m.id for m in spec.measures if m.verification is Verification.AUTOMATIC}
    draw = rng.random(len(evidence))
    pick = rng.integers(0, 3, size=len(evidence))
    rejected = draw < shares.rejected
    revoked = (draw >= shares.rejected) & (draw < shares.rejected + shares.revoked)
    pending = (draw >= 1 - shares.pending) | evidence["metric"].isin(automatic).to_numpy(bool)
    decision = np.where(rejected, 1, 0)  # positions in DECISIONS
    reason = np.where(rejected, 1 + pick, 0)  # positions in `reasons`
    reasons = ["", *REJECTION_REASONS, *REVOCATION_REASONS]

    def frame(where: npt.NDArray[np.bool_], decided: Index, why: Index) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "evidence_id": evidence["evidence_id"][where].reset_index(drop=True),
                "decision": pd.Categorical.from_codes(decided[where], categories=DECISIONS),
                "reason": pd.Categorical.from_codes(why[where], categories=reasons),
            }
        )

    revocation = np.full(len(evidence), DECISIONS.index("revoked"))
    revoked_why = 1 + len(REJECTION_REASONS) + pick
    return frame(~pending, decision, reason), frame(revoked & ~pending, revocation, revoked_why)


def write_csv(data: GeneratedData, folder: Path | str, sidecars: bool = True) -> dict[str, Path]:
    """Write participants, evidence, decisions and revocations (and, with `sidecars`,
    submitted_on and planted) as csv files named so into `folder`.

    Dates are ISO, booleans true/false, no index, columns in their fixed order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, pd.DataFrame] = {
        "participants": data.participants,
        "evidence": data.evidence[list(EVIDENCE_COLUMNS)],
        "decisions": data.decisions[list(DECISION_COLUMNS)],
        "revocations": data.revocations[list(DECISION_COLUMNS)],
    }
    if sidecars:
        files["submitted_on"] = data.submitted_on[list(SUBMITTED_COLUMNS)]
        files["planted"] = data.planted[list(PLANTED_COLUMNS)]
    paths: dict[str, Path] = {}
    for name, frame in files.items():
        path = folder / f"{name}.csv"
        # Date columns hold midnights only, so pandas writes them as YYYY-MM-DD by itself; a
        # date_format would format each value in Python (a third slower at 4M rows).
        _for_csv(frame).to_csv(path, index=False, lineterminator="\n")
        paths[name] = path
    return paths


def _for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as true/false (as a spec writes them), everything else as it is."""
    booleans = [c for c in frame.columns if frame[c].dtype == bool]
    if not booleans:
        return frame
    return frame.assign(**{c: np.where(frame[c], "true", "false") for c in booleans})
