"""Evidence intake from an uploaded file: every row checked, all or nothing.

A row names an enrolled participant, a metric or a measure of the spec in force, and the date
the outcome was achieved. A measure's row carries a quantity with at most the measure's
decimals (stored as an integer scaled by 10**decimals); a metric's row carries none. If the
metric lists accepted evidence types, a type must be given; a type it does not accept is stored
all the same: the engine reports it as not payable, with its reason. A row achieved after today
(the UTC day it is submitted) is refused: evidence is for outcomes already achieved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.coding import positions
from ledger.domain.entitlement.types import EVIDENCE_COLUMNS
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.row_checks import ROW, RowChecks, canonical_json, open_checks
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.contracts import ActiveSpec, active_spec, require_contract
from ledger.services.facts import fetch_columns, utc
from ledger.services.ids import PROVIDER_COLUMN, flag_bad_ids, qualify_local, resolve_column
from ledger.storage import keys
from ledger.storage.tables import Evidence, Participant, table_of
from ledger.storage.uploads import ImportSummary

# the file has the engine's evidence columns but those the ledger records (status, submission
# day), and a reference
COLUMNS = (*(c for c in EVIDENCE_COLUMNS if c not in ("status", "submitted_on")), "reference")
REQUIRED = ("evidence_id", "participant_id", "metric", "achieved_on")
FIELDS = ("participant_id", "metric", "achieved_on", "evidence_type", "quantity", "reference")


def import_evidence(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
    provider: str | None = None,
) -> ImportSummary:
    """Store every evidence row in `path`, or none (RejectedUpload).

    `provider`: the file is that provider's own, its ids are its local ids and only its own
    participants and evidence are looked up. None: the file is from a party who sees every
    provider, whose ids are resolved among all of them (ledger.services.ids)."""
    job = evidence_import(contract_id, path, actor=actor, now=now, provider=provider, active=active)
    return in_one_session(session, job)


def evidence_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    provider: str | None = None,
    active: ActiveSpec | None = None,
) -> CheckedImport:
    """The evidence import of `path` (see import_evidence), to check before the write lock and
    store under it (services.checked_import); `active`: the spec to check against (by default the
    one in force when it is checked). One import of a contract's evidence is stored at a time,
    across processes: a file sent twice at once is stored by the first and found unchanged by
    the second (never a unique-key crash)."""
    return contract_import(
        f"evidence:{contract_id}",
        contract_id,
        (Participant, Evidence),
        lambda session: _check(session, contract_id, active, path, actor, now, provider),
    )


def _check(
    session: Session,
    contract_id: str,
    active: ActiveSpec | None,
    path: Source,
    actor: str,
    now: datetime,
    provider: str | None,
) -> Store:
    """Check the file against the spec (`active`, or the one in force) and what is stored."""
    require_contract(session, contract_id)
    spec = (active or active_spec(session, contract_id)).spec
    checks = open_checks(path, COLUMNS, (PROVIDER_COLUMN,))
    typed = check_rows(checks, spec, enrolled_of(session, contract_id, provider), provider)
    refuse_future(checks, typed["achieved_on"], now)

    def canonical(rows: pd.Series) -> pd.Series:
        return pd.Series(
            canonical_json(evidence_records(typed[rows])), index=typed.index[rows], dtype="str"
        )

    exists = checks.against_stored(
        "evidence_id", canonical, _stored(session, contract_id, provider), "submitted"
    )
    if checks.errors:
        raise RejectedUpload(checks.errors)
    new = typed[~exists.to_numpy(bool)]
    columns: dict[str, Any] = {name: new[name] for name in ("evidence_id", *FIELDS)}
    unchanged = len(typed) - len(new)

    columns.update(
        contract_id=contract_id,
        submitted_at=now,
        submitted_by=actor,
        source=checks.file + ":" + new[ROW].astype("str"),
    )
    return Insert(
        Evidence, columns, len(new), unchanged, "evidence.import", contract_id, checks.file,
        actor, now,
    )  # fmt: skip


@dataclass(frozen=True)
class Enrolled:
    """The participants a file may name: their keys and providers (one entry per person)."""

    keys: pa.Array
    providers: pa.Array


def check_rows(
    checks: RowChecks, spec: ContractSpec, enrolled: Enrolled, provider: str | None = None
) -> pd.DataFrame:
    """Check each evidence row; returns the typed frame (quantity scaled, rows with errors
    kept) with ledger keys for participant_id and evidence_id (see import_evidence)."""
    f = checks.frame
    checks.require(REQUIRED)
    whose = participant_keys_of(checks, enrolled, provider)
    _evidence_ids(checks, whose, provider)
    checks.unique("evidence_id")
    achieved = checks.date("achieved_on")
    metrics = {m.id: m.evidence_types for m in spec.metrics}
    measures = {m.id: m for m in spec.measures}
    events = {e.id: e.evidence_types for e in spec.events}
    is_measure = f["metric"].isin(measures)
    checks.flag(
        ~f["metric"].isin(metrics) & ~is_measure & ~f["metric"].isin(events) & (f["metric"] != ""),
        "metric",
        "is not a metric, measure or event of this contract: use one of "
        + ", ".join(sorted([*metrics, *measures, *events])),
    )
    milestones = {m.id: m.measure for m in spec.metrics if m.measure is not None}
    named = f["metric"].isin(milestones)
    if named.any():
        # the ledger would never pay it (threshold_not_claimable): say so on its row, now
        checks.flag(
            named,
            "metric",
            f["metric"]
            + " is reached from the rows of measure "
            + f["metric"].map(milestones).astype("str")
            + ": send those rows, each with its quantity, not the metric itself",
        )
    accepted = {**metrics, **{m.id: m.evidence_types for m in spec.measures}, **events}
    needs_type = f["metric"].isin([m for m, types in accepted.items() if types])
    checks.flag(
        needs_type & (f["evidence_type"] == ""),
        "evidence_type",
        "is empty: this metric accepts only listed evidence types, say which one this is",
    )
    quantity = _quantity(checks, is_measure, {m.id: m.decimals for m in spec.measures})
    return pd.DataFrame(
        {
            ROW: f[ROW],
            "evidence_id": f["evidence_id"],
            "participant_id": f["participant_id"],
            "metric": f["metric"],
            "achieved_on": achieved,
            "evidence_type": f["evidence_type"],
            "quantity": quantity,
            "reference": f["reference"],
        }
    )


def refuse_future(checks: RowChecks, achieved: pd.Series, now: datetime) -> None:
    """Refuse a row achieved after the day it is submitted (UTC): the ledger would never pay
    it (docs/semantics.md, time cannot run backwards), and a provider who typed the wrong year
    should hear so now, on its row, not find it unpaid in a report."""
    today = pd.Timestamp(utc(now).date())
    later = achieved > today
    if later.any():
        days = achieved.dt.strftime("%Y-%m-%d")
        checks.flag(
            later,
            "achieved_on",
            days + f" is after today ({today:%Y-%m-%d}, UTC): evidence is for an outcome already "
            "achieved; check the date, or send the row once it is achieved",
        )


def participant_keys_of(checks: RowChecks, enrolled: Enrolled, provider: str | None) -> pd.Series:
    """Each row's participant_id as its key; returns each row's provider ("" where none)."""
    f = checks.frame
    named = f["participant_id"] != ""
    if provider is not None:
        if PROVIDER_COLUMN in f:
            checks.flag(
                (f[PROVIDER_COLUMN] != "") & (f[PROVIDER_COLUMN] != provider),
                PROVIDER_COLUMN,
                f"is another provider: you may submit evidence only for your own participants "
                f"({provider}); leave it empty",
            )
        local = qualify_local(checks, "participant_id", provider)
        at = positions(f["participant_id"], enrolled.keys)
        # the same words whether the id is another provider's or nobody's: the file was
        # only ever compared with this provider's own participants
        checks.flag(
            pd.Series(local & (at < 0), index=f.index) & named,
            "participant_id",
            "is not one of your enrolled participants: enrol the participant first",
        )
        return pd.Series(np.where(at >= 0, provider, ""), index=f.index, dtype="str")
    at, flagged = resolve_column(checks, "participant_id", enrolled.keys, "is enrolled by")
    checks.flag(
        pd.Series((at < 0) & ~flagged, index=f.index) & named,
        "participant_id",
        "is not enrolled in this contract: import the participant first",
    )
    # with nobody enrolled yet there is no provider to take: every row's owner is nobody
    if len(at) and len(enrolled.providers):
        providers = enrolled.providers.take(pa.array(np.maximum(at, 0)))
    else:
        providers = [""] * len(at)
    owner = pd.Series(pd.array(providers, dtype="str"), index=f.index)
    return owner.where(at >= 0, "")


def _evidence_ids(checks: RowChecks, whose: pd.Series, provider: str | None) -> None:
    """Each row's evidence_id as its key in its participant's provider's namespace."""
    if provider is not None:
        qualify_local(checks, "evidence_id", provider)
        return
    f = checks.frame
    written = f["evidence_id"]
    as_key = pd.Series(keys.qualified_ok(written), index=f.index)
    local = pd.Series(keys.local_ok(written), index=f.index)
    flag_bad_ids(
        checks,
        "evidence_id",
        ~as_key & ~local & (written != ""),
        " (or provider/id, its participant's provider first)",
    )
    known = whose != ""
    other = as_key & known
    if other.any():
        other[other] = [
            keys.provider_of(key) != owner
            for key, owner in zip(written[other], whose[other], strict=True)
        ]
        owner = whose[other]
        checks.flag(
            other,
            "evidence_id",
            ("names another provider than its participant's (" + owner + "): evidence is kept "
             "in its participant's provider's namespace; write the id alone or as " + owner
             + "/id").reindex(f.index),
        )  # fmt: skip
    qualify = local & known
    if qualify.any():
        f["evidence_id"] = written.where(~qualify, keys.qualify(whose[qualify], written[qualify]))


def _quantity(checks: RowChecks, is_measure: pd.Series, decimals: dict[str, int]) -> pd.Series:
    raw = checks.frame["quantity"]
    present = raw != ""
    checks.flag(
        is_measure & ~present, "quantity", "is empty: a measure's evidence needs a quantity"
    )
    checks.flag(
        ~is_measure & present & (checks.frame["metric"] != ""),
        "quantity",
        "must be empty: this metric is not a measure",
    )
    allowed = checks.frame["metric"].map(decimals).fillna(0).astype("int64")
    return checks.scaled(
        "quantity",
        allowed,
        where=is_measure,
        not_a_number="is not a number (like 250.50)",
        too_many="has more decimals than the measure allows (" + allowed.astype(str) + ")",
    )


def evidence_records(typed: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row as stored (dates ISO, quantity as scaled integer or None)."""
    return [
        {
            "evidence_id": eid,
            "participant_id": pid,
            "metric": metric,
            "achieved_on": None if pd.isna(achieved) else achieved.date().isoformat(),
            "evidence_type": etype,
            "quantity": None if pd.isna(quantity) else int(quantity),
            "reference": reference,
        }
        for eid, pid, metric, achieved, etype, quantity, reference in zip(
            *(typed[c] for c in ("evidence_id", *FIELDS)), strict=True
        )
    ]


def enrolled_of(session: Session, contract_id: str, provider: str | None) -> Enrolled:
    """The participants a file may name: `provider`'s own, or everyone's when None."""
    table = table_of(Participant)
    query = select(table.c.participant_id, table.c.provider).where(
        table.c.contract_id == contract_id
    )
    if provider is not None:
        query = query.where(table.c.provider == provider)
    ids, providers = fetch_columns(session, query)
    return Enrolled(
        pa.array(ids, type=pa.large_string()), pa.array(providers, type=pa.large_string())
    )


def _stored(session: Session, contract_id: str, provider: str | None) -> dict[str, str]:
    table = table_of(Evidence)
    columns = [table.c.evidence_id, *(table.c[name] for name in FIELDS)]
    where = [table.c.contract_id == contract_id]
    if provider is not None:
        where.append(keys.in_namespace(table.c.evidence_id, provider))
    rows = session.connection().execute(select(*columns).where(*where))
    records = [
        dict(zip(("evidence_id", *FIELDS), row, strict=True)) | {"achieved_on": row[3].isoformat()}
        for row in rows
    ]
    return dict(zip((r["evidence_id"] for r in records), canonical_json(records), strict=True))
