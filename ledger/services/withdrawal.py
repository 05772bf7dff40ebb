"""A participant's withdrawal of their consent: a dated fact, checked like any import, all or
nothing (`outcomes participants withdraw CONTRACT FILE`, and the API).

Each row names an enrolled participant (a provider only its own) and the day they withdrew:
not after today, not before their start, and once only (the same row again is unchanged). On
storing, the participant's metric conditions are judged from their attributes (what the ledger
needs to keep paying exactly what it owed: ledger.domain.entitlement.judged), then their key is
destroyed, which erases the attributes (ledger.storage.sealed). Their id, evidence and every
posting stay; the audit records counts, never who.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.dates import day_numbers
from ledger.domain.entitlement.judged import judge_conditions
from ledger.domain.entitlement.people import people_of
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.row_checks import ROW, canonical_json, open_checks
from ledger.services.checked_import import CheckedImport, Store, contract_import, in_one_session
from ledger.services.contracts import active_spec, require_contract
from ledger.services.evidence import enrolled_of, participant_keys_of
from ledger.services.facts import participants_frame, utc
from ledger.services.ids import PROVIDER_COLUMN
from ledger.storage import audit
from ledger.storage.bulk import insert_columns
from ledger.storage.sealed import SLICE, destroy_keys
from ledger.storage.tables import Participant, Withdrawal, table_of
from ledger.storage.uploads import ImportSummary

COLUMNS = ("participant_id", "withdrawn_on")


def import_withdrawals(
    session: Session,
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    provider: str | None = None,
) -> ImportSummary:
    """Record every withdrawal in `path`, or none (RejectedUpload); `provider`: the file is
    that provider's, naming only its own participants."""
    return in_one_session(
        session, withdrawals_import(contract_id, path, actor=actor, now=now, provider=provider)
    )


def withdrawals_import(
    contract_id: str, path: Source, *, actor: str, now: datetime, provider: str | None = None
) -> CheckedImport:
    """The withdrawals import of `path`, to check before the write lock and store under it."""
    return contract_import(
        f"withdrawals:{contract_id}",
        contract_id,
        (Participant, Withdrawal),
        lambda session: _check(session, contract_id, path, actor, now, provider),
    )


def _check(
    session: Session,
    contract_id: str,
    path: Source,
    actor: str,
    now: datetime,
    provider: str | None,
) -> Store:
    require_contract(session, contract_id)
    spec = active_spec(session, contract_id).spec
    checks = open_checks(path, COLUMNS, (PROVIDER_COLUMN,))
    checks.require(COLUMNS)
    participant_keys_of(checks, enrolled_of(session, contract_id, provider), provider)
    checks.unique("participant_id")
    f = checks.frame
    day = checks.date("withdrawn_on")
    today = pd.Timestamp(utc(now).date())
    checks.flag(
        day > today,
        "withdrawn_on",
        f"is after today ({today:%Y-%m-%d}, UTC): record a withdrawal once it has happened",
    )
    ids = f["participant_id"]
    people = participants_frame(
        session, contract_id, now, spec, with_attributes=False, only=list(ids[~checks.bad])
    )
    start = ids.map(dict(zip(people["participant_id"], people["start_date"], strict=True)))
    checks.flag(
        pd.to_datetime(start) > day,
        "withdrawn_on",
        "is before the participant's start date: check the date",
    )
    stored = _stored(session, contract_id, ids)
    canonical = pd.Series(
        canonical_json({"withdrawn_on": _iso(d)} for d in day), index=f.index, dtype="str"
    )
    exists = checks.against_stored("participant_id", canonical, stored, "withdrawn")
    if checks.errors:
        raise RejectedUpload(checks.errors)
    new = f[~exists.to_numpy(bool)]
    new_days = day[~exists.to_numpy(bool)]
    judged = _judged(session, contract_id, now, spec, list(new["participant_id"]), new_days)
    unchanged = len(f) - len(new)
    file = checks.file

    def store(writer: Session) -> ImportSummary:
        who = new["participant_id"].tolist()
        insert_columns(
            writer.connection(),
            table_of(Withdrawal),
            {
                "contract_id": contract_id,
                "participant_id": who,
                "withdrawn_on": [d.date() for d in new_days],
                "judged": [judged.get(p, {}) for p in who],
                "recorded_at": now,
                "recorded_by": actor,
                "source_file": file,
                "source_row": new[ROW].astype("int64").tolist(),
            },
            len(who),
        )
        erased = destroy_keys(writer.connection(), contract_id, who)
        summary = ImportSummary(new=len(who), unchanged=unchanged)
        details = {"file": file, "new": summary.new, "unchanged": unchanged, "erased": erased}
        audit.record(
            writer, actor, "participants.withdraw", f"contract:{contract_id}", now, details
        )
        return summary

    return store


def _judged(
    session: Session,
    contract_id: str,
    now: datetime,
    spec: ContractSpec,
    who: list[str],
    days: pd.Series,
) -> dict[str, dict[str, Any]]:
    """Participant id -> metric -> {conditions, from, to}: their conditions judged from their
    attributes, over the days from their start to their withdrawal, before these are erased."""
    if not who or not any(m.conditions for m in spec.metrics):
        return {}
    frame = participants_frame(session, contract_id, now, spec, with_attributes=True, only=who)
    withdrawn = dict(zip(who, days, strict=True))
    people = people_of(spec, frame)
    on = day_numbers(pd.Series([withdrawn[p] for p in frame["participant_id"]]))
    found: dict[str, dict[str, Any]] = {}
    judged = judge_conditions(spec, people, np.asarray(on, dtype=np.int64))
    for row in judged.itertuples(index=False):
        found.setdefault(str(row.participant_id), {})[str(row.metric)] = {
            "conditions": row.conditions,
            "from": _iso(row.holds_from),
            "to": _iso(row.holds_to),
        }
    return found


def _stored(session: Session, contract_id: str, ids: pd.Series) -> dict[str, str]:
    table = table_of(Withdrawal)
    wanted = sorted(set(ids) - {""})
    found = [
        (pid, {"withdrawn_on": _iso(day)})
        for i in range(0, len(wanted), SLICE)
        for pid, day in session.connection().execute(
            select(table.c.participant_id, table.c.withdrawn_on).where(
                table.c.contract_id == contract_id,
                table.c.participant_id.in_(wanted[i : i + SLICE]),
            )
        )
    ]
    return dict(zip((p for p, _ in found), canonical_json(r for _, r in found), strict=True))


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    return str(pd.Timestamp(value).date().isoformat())


def withdrawal_count(session: Session, contract_id: str, provider: str | None = None) -> int:
    """How many participants have withdrawn (a provider's own only): a count, never who."""
    table, people = table_of(Withdrawal), table_of(Participant)
    query = (
        select(table.c.id)
        .join(
            people,
            (people.c.contract_id == table.c.contract_id)
            & (people.c.participant_id == table.c.participant_id),
        )
        .where(table.c.contract_id == contract_id)
    )
    if provider is not None:
        query = query.where(people.c.provider == provider)
    return len(session.connection().execute(query).all())
