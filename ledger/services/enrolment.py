"""Enrolling participants from an uploaded file: every row checked, all or nothing.

Checks (SEMANTICS.md 2): required values, a known cohort, a start date inside the cohort's
enrolment window and before its cancellation, a provider that is a provider party, the
declared attributes' types and values, the cohort's eligibility rules, and its capacity counting
who is stored plus the file. A row whose id is already stored with the same content is
unchanged; with different content it is a conflict naming the fields that differ.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import (
    AgeAtStart,
    Attribute,
    AttributeType,
    ContractSpec,
    Flag,
    Role,
    Rule,
)
from ledger.domain.entitlement.people import people_of, rule_holds
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.row_checks import (
    ROW,
    RowChecks,
    canonical_json,
    flag_whole_numbers,
    is_decimal,
    open_checks,
    parse_booleans,
)
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.consents import (
    consents_given,
    refuse_withdrawn,
    store_private,
    stored_consents,
)
from ledger.services.contracts import ActiveSpec, active_spec, require_contract
from ledger.services.ids import qualify_local
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import Participant, table_of
from ledger.storage.uploads import ImportSummary, columns_of

COLUMNS = ("participant_id", "cohort", "provider", "start_date")


def import_participants(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
    provider: str | None = None,
) -> ImportSummary:
    """Enrol every participant in `path` under the spec in force, or none (RejectedUpload).

    `provider`: the file is that provider's own; a row naming another provider is refused
    and never compared with anything stored. None: any provider of the contract."""
    job = participants_import(
        contract_id, path, actor=actor, now=now, provider=provider, active=active
    )
    return in_one_session(session, job)


def participants_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    provider: str | None = None,
    active: ActiveSpec | None = None,
) -> CheckedImport:
    """The participants import of `path` (see import_participants), to check before the write
    lock and store under it (services.checked_import); `active`: the spec to check against (by
    default the one in force when it is checked). One import of a contract's participants
    is stored at a time, across processes: the second sees what the first stored (its rows
    unchanged, the cohort's places taken), never a stale view."""
    return contract_import(
        f"participants:{contract_id}",
        contract_id,
        (Participant,),
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
    checks = open_checks(
        path, COLUMNS, [*(a.name for a in spec.attributes), *(c.name for c in spec.consents)]
    )
    typed = check_rows(checks, spec, provider)
    given = consents_given(checks, spec)
    records = participant_records(typed, spec)
    compared = [{**_flat(r), **c} for r, c in zip(records, given, strict=True)]
    canonical = pd.Series(canonical_json(compared), index=typed.index, dtype="str")
    # only the file's own providers' participants: a key never matches another's anyway
    stored = _stored(
        session,
        contract_id,
        {provider} if provider else set(typed["provider"]),
        set(typed["participant_id"]),
    )
    refuse_withdrawn(checks, typed, session, contract_id)
    exists = checks.against_stored("participant_id", canonical, stored, "enrolled")
    _check_capacity(checks, typed[~exists], spec, _enrolled_per_cohort(session, contract_id))
    if checks.errors:
        raise RejectedUpload(checks.errors)
    rows = [
        {
            **record,
            "attributes": {},
            "start_date": date.fromisoformat(record["start_date"]),
            "contract_id": contract_id,
            "enrolled_at": now,
            "source_file": checks.file,
            "source_row": int(row),
        }
        for record, row, old in zip(records, typed[ROW], exists, strict=True)
        if not old
    ]
    unchanged = len(typed) - len(rows)
    new = [
        (record["participant_id"], record["attributes"], consents)
        for record, consents, old in zip(records, given, exists, strict=True)
        if not old
    ]

    insert = Insert(
        Participant, columns_of(rows), len(rows), unchanged,
        "participants.import", contract_id, checks.file, actor, now,
    )  # fmt: skip

    def store(writer: Session) -> ImportSummary:
        # the person's row first (the others refer to it), then their own key and sealed
        # attributes, and what they consented to
        summary = insert(writer)
        store_private(writer, contract_id, new)
        return summary

    return store


def check_rows(checks: RowChecks, spec: ContractSpec, provider: str | None = None) -> pd.DataFrame:
    """Check each row on its own; returns the typed frame (rows with errors included), each
    participant_id the ledger key <provider>/<id> (`provider`: see import_participants)."""
    f = checks.frame
    checks.require(COLUMNS)
    owner = f["provider"]
    if provider is not None:
        others = (owner != provider) & (owner != "")
        checks.flag(
            others,
            "provider",
            f"is another provider: you may enrol only your own participants ({provider})",
        )
        # such a row keeps the id as written, which no stored key (all have a slash) matches
        owner = owner.where(~others, "")
    # the key is the provider's namespace and its own id, before anything is compared
    qualify_local(checks, "participant_id", owner)
    checks.unique("participant_id")
    typed = f[[ROW, "participant_id", "cohort", "provider"]].assign(
        start_date=checks.date("start_date")
    )
    providers = sorted(p.id for p in spec.parties_with(Role.PROVIDER))
    checks.flag(
        ~f["provider"].isin(providers) & (f["provider"] != ""),
        "provider",
        f"is not a provider of this contract: use one of {', '.join(providers)}",
    )
    _check_cohort(checks, typed, spec)
    for attribute in spec.attributes:
        typed[attribute.name] = _attribute(checks, attribute)
    # the same rule evaluation as the engine's metric conditions, on the rows still standing
    standing = typed[~checks.bad]
    people = people_of(spec, standing)
    for cohort in spec.cohorts:
        mine = standing["cohort"] == cohort.id
        for rule in cohort.eligibility:
            holds = pd.Series(rule_holds(rule, people), index=standing.index)
            checks.flag(
                mine & ~holds,
                rule.attribute,
                f"not eligible for cohort {cohort.id}: {what_rule_asks(rule)}",
            )
    return typed


def _check_cohort(checks: RowChecks, typed: pd.DataFrame, spec: ContractSpec) -> None:
    cohorts = sorted(c.id for c in spec.cohorts)
    checks.flag(
        ~typed["cohort"].isin(cohorts) & (typed["cohort"] != ""),
        "cohort",
        f"is not a cohort of this contract: use one of {', '.join(cohorts)}",
    )
    start = typed["start_date"]
    for cohort in spec.cohorts:
        mine = (typed["cohort"] == cohort.id) & start.notna()
        outside = (start < pd.Timestamp(cohort.enrolment_from)) | (
            start > pd.Timestamp(cohort.enrolment_to)
        )
        checks.flag(
            mine & outside,
            "start_date",
            f"is outside cohort {cohort.id}'s enrolment window "
            f"{cohort.enrolment_from} to {cohort.enrolment_to}",
        )
        if cohort.cancelled_on is not None:
            checks.flag(
                mine & (start >= pd.Timestamp(cohort.cancelled_on)),
                "start_date",
                f"is on or after {cohort.cancelled_on}, when cohort {cohort.id} was cancelled",
            )


def _attribute(checks: RowChecks, attribute: Attribute) -> pd.Series:
    name = attribute.name
    frame = checks.frame
    raw = frame[name] if name in frame else pd.Series("", index=frame.index, dtype="str")
    present = raw != ""
    if attribute.required:
        checks.flag(~present, name, "is empty: this attribute is required")
    if attribute.type is AttributeType.DATE:
        return checks.date(name) if name in frame else pd.Series(pd.NaT, index=frame.index)
    if attribute.type is AttributeType.BOOLEAN:
        flags = parse_booleans(raw)
        checks.flag(present & flags.isna(), name, "is not true or false")
        return flags
    if attribute.type is AttributeType.INTEGER:
        ok = flag_whole_numbers(checks, name, raw)
        return pd.to_numeric(raw.where(ok), errors="coerce").astype("Int64")
    if attribute.type is AttributeType.DECIMAL:
        checks.flag(present & ~is_decimal(raw), name, "is not a decimal number (like 12.50)")
    elif attribute.values is not None:
        allowed = ", ".join(attribute.values)
        checks.flag(present & ~raw.isin(attribute.values), name, f"must be one of {allowed}")
    return raw


def _check_capacity(
    checks: RowChecks, new: pd.DataFrame, spec: ContractSpec, enrolled: dict[str, int]
) -> None:
    for cohort in spec.cohorts:
        if cohort.capacity is None:
            continue
        # rows refused for another reason do not take a place
        mine = (new["cohort"] == cohort.id) & ~checks.bad.reindex(new.index)
        already = enrolled.get(cohort.id, 0)
        checks.flag(
            mine & (mine.cumsum() + already > cohort.capacity),
            "cohort",
            f"cohort {cohort.id} is full (capacity {cohort.capacity}, {already} already enrolled)",
        )


def what_rule_asks(rule: Rule) -> str:
    """An eligibility rule in words, for the message of a refused row."""
    if isinstance(rule, AgeAtStart):
        band = f"{'' if rule.min is None else rule.min}-{'' if rule.max is None else rule.max}"
        return f"age at start must be {band} ({rule.attribute})"
    if isinstance(rule, Flag):
        return f"{rule.attribute} must be {str(rule.value).lower()}"
    return f"{rule.attribute} must be one of {', '.join(rule.values)}"


def participant_records(typed: pd.DataFrame, spec: ContractSpec) -> list[dict[str, Any]]:
    """Each row as stored: id, cohort, provider, ISO start date and the declared attributes
    (as JSON values; missing ones left out)."""
    names = [a.name for a in spec.attributes]
    attributes = [_json_values(typed[a.name], a.type) for a in spec.attributes]
    return [
        {
            "participant_id": pid,
            "cohort": cohort,
            "provider": provider,
            "start_date": _iso(start),
            "attributes": {n: v for n, v in zip(names, values, strict=True) if v is not None},
        }
        for pid, cohort, provider, start, *values in zip(
            typed["participant_id"],
            typed["cohort"],
            typed["provider"],
            typed["start_date"],
            *attributes,
            strict=True,
        )
    ]


def _json_values(values: pd.Series, kind: AttributeType) -> list[Any]:
    if kind is AttributeType.DATE:
        return [_iso(v) for v in values]
    if kind in (AttributeType.BOOLEAN, AttributeType.INTEGER):
        return [
            None if pd.isna(v) else (bool(v) if kind is AttributeType.BOOLEAN else int(v))
            for v in values
        ]
    return [v or None for v in values]


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _stored(
    session: Session, contract_id: str, providers: set[str], wanted: set[str]
) -> dict[str, str]:
    """The stored participants the file names (`wanted`), as canonical JSON to compare."""
    table = table_of(Participant)
    rows = session.connection().execute(
        select(
            table.c.participant_id,
            table.c.cohort,
            table.c.provider,
            table.c.start_date,
            table.c.attributes,
        ).where(table.c.contract_id == contract_id, table.c.provider.in_(sorted(providers)))
    )
    records = [
        {
            "participant_id": pid,
            "cohort": cohort,
            "provider": provider,
            "start_date": start.isoformat(),
            "attributes": attributes,
        }
        for pid, cohort, provider, start, attributes in rows
        if pid in wanted
    ]
    # the attributes as sealed, and the consents as given, so that a row sent again unchanged
    # is unchanged and one that differs names the field
    ids = [r["participant_id"] for r in records]
    opened = opened_attributes(session.connection(), contract_id, ids)
    consents = stored_consents(session.connection(), contract_id, ids)
    for record in records:
        record["attributes"] = {
            **record["attributes"],
            **opened.get(record["participant_id"], {}),
            **consents.get(record["participant_id"], {}),
        }
    flat = canonical_json(map(_flat, records))
    return dict(zip((r["participant_id"] for r in records), flat, strict=True))


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    # attributes beside the other fields, so that a conflict names the attribute that differs
    return {**{k: v for k, v in record.items() if k != "attributes"}, **record["attributes"]}


def _enrolled_per_cohort(session: Session, contract_id: str) -> dict[str, int]:
    table = table_of(Participant)
    rows = session.connection().execute(
        select(table.c.cohort, func.count())
        .where(table.c.contract_id == contract_id)
        .group_by(table.c.cohort)
    )
    return {cohort: count for cohort, count in rows}
